"""The API's JSON parser, with limits: no request body may crash the server (issue 12).

DRF's own parser lets Python's json module recurse once per nested bracket, so a body of 100,000
nested arrays raises RecursionError (a 500), and a body nested a few hundred deep parses but then
overflows the stack in whatever walks it next (validation, copying, rendering an error). No body
this API accepts is nested more than a few levels or is larger than a long referral, so anything
beyond the limits below is refused with a 400 and a message before any view sees it.
"""

from __future__ import annotations

import codecs
import math
import re

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding  # type: ignore[attr-defined]  # DRF 3.18's; the stubs predate it
from rest_framework.utils import json

# The deepest body the API takes is an object of lists of objects (a decision's split lines);
# 32 leaves plenty of room and is far below the interpreter's recursion limit.
MAX_DEPTH = 32
# The longest body is a referral section of a few 10,000-character answers.
MAX_BYTES = 1_000_000


class LimitedJSONParser(JSONParser):
    max_depth = MAX_DEPTH
    max_bytes = MAX_BYTES

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read(self.max_bytes + 1)
        if len(raw) > self.max_bytes:
            raise ParseError(f"The request body is too large: send at most {self.max_bytes:,} bytes of JSON")
        encoding = get_encoding(parser_context or {})
        try:
            text = codecs.decode(raw, encoding)
        except (UnicodeDecodeError, LookupError):
            raise ParseError(f"The request body is not valid {encoding} text") from None
        if _too_deep(text, limit=self.max_depth):
            raise ParseError(f"JSON is nested too deeply: at most {self.max_depth} levels")
        try:
            data = json.loads(
                text,
                parse_constant=json.strict_constant if self.strict else None,
                parse_float=_finite_float if self.strict else float,
                parse_int=_bounded_int,
            )
        except RecursionError:
            raise ParseError(f"JSON is nested too deeply: at most {self.max_depth} levels") from None
        except ValueError as error:  # also a number with more digits than Python will read
            raise ParseError(f"JSON parse error - {error}") from None
        if not isinstance(data, dict | list):
            raise ParseError("The request body must be a JSON object")
        return data


def _finite_float(text: str) -> float:
    """A JSON number that fits a float: 1e400 would otherwise arrive as infinity."""
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"The number {text[:20]} is too large")
    return number


def _bounded_int(text: str) -> int:
    """A JSON integer of a sensible length (Python refuses to read more than 4,300 digits, with a
    message about its own settings that means nothing to a client)."""
    if len(text) > 100:
        raise ValueError(f"The number {text[:20]}... has too many digits")
    return int(text)


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(r"[\[\]{}]")


def _too_deep(text: str, *, limit: int) -> bool:
    """Whether [ and { nest more than `limit` deep outside strings, counted without recursion, so a
    hostile body is refused before the json module recurses into it."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for bracket in _BRACKET.finditer(_STRING.sub('""', text)):
        depth += 1 if bracket.group() in "[{" else -1
        if depth > limit:
            return True
    return False
