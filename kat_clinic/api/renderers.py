"""The API's JSON renderer: DRF's JSONRenderer output, produced by orjson.

DRF renders with `json.dumps` (compact separators, UTF-8 unescaped, NaN refused) and its own
encoder for what JSON lacks. Here orjson writes the same document several times faster:
- every date, time and date-time, and every type orjson does not know (Decimal, lazy strings,
  addresses, sets, dataclasses...) goes through DRF's own encoder (`JSONEncoder.default`), so a
  UTC date-time still ends in "Z", a Decimal is still a number, a dataclass still fails as before;
- UUIDs are their canonical string, as `str()` gives; dict keys that are numbers or None become
  strings as `json.dumps` makes them; U+2028 and U+2029 are escaped as DRF escapes them;
- anything orjson refuses (an integer beyond 64 bits, a string with a lone surrogate) and an
  indented rendering (`Accept: application/json; indent=4`) fall back to DRF's renderer itself.
- `WrittenJson`, JSON text written elsewhere (by PostgreSQL: kat_clinic/json_sql.py's `JsonText`),
  is put in the document as it is; where DRF's renderer writes it, it is read first.
Known difference: a float written with a negative exponent reads `1e-7` where `json.dumps` writes
`1e-07` (the same number); a NaN float is `null`, where `json.dumps` refuses it.
"""

from __future__ import annotations

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS
_drf_default = JSONEncoder().default
_LINE_SEPARATOR, _PARAGRAPH_SEPARATOR = "\u2028".encode(), "\u2029".encode()


class WrittenJson:
    """A value already written as compact JSON text (as orjson would write it), sent as it is."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return f"WrittenJson({self.text!r})"


def _default(value):
    if type(value) is WrittenJson:
        return orjson.Fragment(value.text)
    return _drf_default(value)


def _read_written(data):
    """`data` with each `WrittenJson` in it read back into values, for DRF's renderer (its
    dicts and lists copied on the way)."""
    if type(data) is WrittenJson:
        return orjson.loads(data.text)
    if isinstance(data, dict):
        return {key: _read_written(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [_read_written(value) for value in data]
    return data


class OrjsonRenderer(JSONRenderer):
    """DRF's JSONRenderer, same media type and bytes, written by orjson."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.encoder_class is not JSONEncoder or not self.compact or self.ensure_ascii:
            return super().render(_read_written(data), accepted_media_type, renderer_context)
        if self.get_indent(accepted_media_type or "", renderer_context or {}):
            return super().render(_read_written(data), accepted_media_type, renderer_context)
        try:
            ret = orjson.dumps(data, default=_default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(_read_written(data), accepted_media_type, renderer_context)
        if _LINE_SEPARATOR in ret or _PARAGRAPH_SEPARATOR in ret:
            ret = ret.replace(_LINE_SEPARATOR, b"\\u2028").replace(_PARAGRAPH_SEPARATOR, b"\\u2029")
        return ret
