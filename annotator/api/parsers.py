"""The API's JSON parser: every body is read by :mod:`annotator.untrusted_json`.

DRF's own parser turns a ``ValueError`` into a 400 but lets a ``RecursionError``
(a body nested a few thousand levels deep) through as a 500, and accepts
numbers, nesting and strings the databases then refuse. This one answers all of
them with a 400 that says what is wrong with the body.
"""

import json

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from .. import untrusted_json


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type: str | None = None, parser_context: dict | None = None):
        # DRF's helper takes the charset of the Content-Type and refuses non-text codecs.
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = stream.read().decode(encoding)
        except UnicodeDecodeError:
            raise ParseError(f"JSON parse error - the body is not {encoding} text.") from None
        try:
            return untrusted_json.loads(text)
        except json.JSONDecodeError as error:
            raise ParseError(f"JSON parse error - {error}") from None
        except untrusted_json.UntrustedJSONError as error:
            raise ParseError(f"JSON parse error - the body {error}.") from None
