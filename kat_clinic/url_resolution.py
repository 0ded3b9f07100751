"""URL resolution that tries only the patterns a path can match.

Django matches a path against a resolver's patterns one after the other, each a regular expression,
and descends into every `include()` on the way: a session's chart, one of the last routes of some
two hundred (each router's routes with their format suffixes), cost about 0.6 ms to resolve, a
seventh of the chart's CPU. Most patterns begin with literal text ("sessions/", "patients/"): a
pattern whose literal beginning is not the beginning of the path cannot match it, so `PrefixIndexed`
skips it without running its expression. The patterns left are tried in their order, so the first
match is the one Django finds: the same view, arguments, names and route. (Only the match's
`tried`, the list of patterns tried before it, which Django's debug 404 page shows, is shorter.)

A pattern's literal beginning is its route up to the first converter (`path()`), or its expression's
text after `^` up to the first special character (`re_path()`; none when the expression has an
alternative `|` or is not anchored with `^`, and a character made optional by a quantifier after it
is not part of it).
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver
from django.urls.exceptions import Resolver404
from django.urls.resolvers import LocalePrefixPattern, RegexPattern, ResolverMatch, RoutePattern

_SPECIAL = set(".^$*+?{}[]\\|()")
_QUANTIFIERS = set("*+?{")


def literal_beginning(pattern) -> str:
    """The text every path this pattern matches begins with ("" when it cannot tell)."""
    if isinstance(pattern, RoutePattern):
        return str(pattern._route).split("<", 1)[0]
    if isinstance(pattern, LocalePrefixPattern) or not isinstance(pattern, RegexPattern):
        return ""
    regex = str(pattern._regex)
    if not regex.startswith("^") or "|" in regex:
        return ""
    text = regex[1:]
    end = 0
    while end < len(text) and text[end] not in _SPECIAL:
        end += 1
    if end < len(text) and text[end] in _QUANTIFIERS:
        end -= 1  # "a?" : the character before the quantifier may be absent
    return text[:end]


class PrefixIndexed(URLResolver):
    """A resolver trying only the patterns whose literal beginning begins the rest of the path."""

    # Candidates kept per first path segment ("sessions"), for at most this many segments.
    KEPT_SEGMENTS = 1024

    def _candidates(self, path: str) -> list:
        segment = path.split("/", 1)[0]
        by_segment = self.__dict__.setdefault("_by_segment", {})
        index = by_segment.get(segment)
        if index is None:
            if len(by_segment) >= self.KEPT_SEGMENTS:
                by_segment.clear()
            index = by_segment[segment] = [
                (beginning, pattern)
                for beginning, pattern in ((literal_beginning(p.pattern), p) for p in self.url_patterns)
                if _may_begin(beginning, segment)
            ]
        return [pattern for beginning, pattern in index if path.startswith(beginning)]

    def resolve(self, path):
        # URLResolver.resolve (Django 5.2), over the candidates only.
        path = str(path)
        tried = []
        match = self.pattern.match(path)
        if not match:
            raise Resolver404({"path": path})
        new_path, args, kwargs = match
        for pattern in self._candidates(new_path):
            try:
                sub_match = pattern.resolve(new_path)
            except Resolver404 as e:
                self._extend_tried(tried, pattern, e.args[0].get("tried"))
                continue
            if not sub_match:
                tried.append([pattern])
                continue
            sub_match_dict = {**kwargs, **self.default_kwargs}
            sub_match_dict.update(sub_match.kwargs)
            # With any named group, the positional ones are ignored (as Django does).
            sub_match_args = sub_match.args if sub_match_dict else args + sub_match.args
            current_route = "" if isinstance(pattern, URLPattern) else str(pattern.pattern)
            self._extend_tried(tried, pattern, sub_match.tried)
            return ResolverMatch(
                sub_match.func,
                sub_match_args,
                sub_match_dict,
                sub_match.url_name,
                [self.app_name, *sub_match.app_names],
                [self.namespace, *sub_match.namespaces],
                self._join_route(current_route, sub_match.route),
                tried,
                captured_kwargs=sub_match.captured_kwargs,
                extra_kwargs={**self.default_kwargs, **sub_match.extra_kwargs},
            )
        raise Resolver404({"tried": tried, "path": new_path})


def _may_begin(beginning: str, segment: str) -> bool:
    """Whether a path whose first segment is `segment` may begin with `beginning`."""
    if "/" in beginning:
        return beginning.split("/", 1)[0] == segment
    return segment.startswith(beginning)


def index_included(resolver: URLResolver) -> None:
    """Every resolver included under `resolver` (Django's own class) resolves as `PrefixIndexed`."""
    for pattern in resolver.url_patterns:
        if type(pattern) is URLResolver:
            pattern.__class__ = PrefixIndexed
        if isinstance(pattern, URLResolver):
            index_included(pattern)
