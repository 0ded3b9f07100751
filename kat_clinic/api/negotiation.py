"""Content negotiation with DRF's answer remembered: the same renderers, format and Accept header
always choose the same renderer and media type, so each combination is worked out once.

DRF parses the Accept header into media types and matches them against every renderer on each
request; the answer depends only on the view's renderer classes, the format asked for (`?format=`
or a suffix) and the header's text. The most recent `KEPT` answers are kept (a client sending a new
header on every request costs its own negotiation, never memory), and a header longer than
`LONGEST_KEPT` characters is never kept. A header no renderer accepts is not kept: it is refused
with 406 each time, as DRF refuses it.
"""

from __future__ import annotations

from rest_framework.negotiation import DefaultContentNegotiation

KEPT = 256
LONGEST_KEPT = 1024
_answers: dict[tuple, tuple[int, str]] = {}


class RememberedContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        asked_format = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        accept = request.META.get("HTTP_ACCEPT")
        key = (tuple(type(r) for r in renderers), asked_format, accept)
        answer = _answers.get(key)
        if answer is None:
            renderer, media_type = super().select_renderer(request, renderers, format_suffix)
            answer = (next(i for i, r in enumerate(renderers) if r is renderer), media_type)
            if accept is None or len(accept) <= LONGEST_KEPT:
                if len(_answers) >= KEPT:
                    _answers.clear()
                _answers[key] = answer
        index, media_type = answer
        return renderers[index], media_type
