"""A safe XML parser for playlist files: expat with no DTD support at all.

Any DOCTYPE, entity declaration, external entity reference or XInclude element is
refused (billion laughs, XXE), so no document can make the parser expand or fetch
anything. Documents that are not well-formed only because of a raw ``&`` (as some
desktop players write titles like "Simon & Garfunkel") are repaired by escaping it,
with a warning naming each line. Elements remember their source line.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from copy import deepcopy
from typing import Any, NoReturn
from xml.etree.ElementTree import Element
from xml.parsers import expat

from engine.errors import FormatError
from engine.formats._context import ReadContext

XINCLUDE_NS = "http://www.w3.org/2001/XInclude"
_RAW_AMP = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);)")
_RAW_AMP_ERRORS = {
    expat.errors.codes[expat.errors.XML_ERROR_INVALID_TOKEN],
    expat.errors.codes[expat.errors.XML_ERROR_UNDEFINED_ENTITY],
}
_LINE_KEY = "\0line"


class _Refused(Exception):
    def __init__(self, what: str) -> None:
        self.what = what


def element_line(element: Element) -> int | None:
    """The line an element started on (elements built by :func:`parse_xml`)."""
    line = element.get(_LINE_KEY)
    return int(line) if line else None


def serialize(element: Element) -> str:
    """``element`` as XML text, without the line numbers the parser added."""
    copy = deepcopy(element)
    for item in copy.iter():
        item.attrib.pop(_LINE_KEY, None)
    return ET.tostring(copy, "unicode")


def _refuse(what: str) -> NoReturn:
    raise _Refused(what)


def _build(data: bytes, max_depth: int) -> Element:
    builder = ET.TreeBuilder()
    depth = 0
    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth > max_depth:
            _refuse(f"elements nested deeper than {max_depth} levels")
        tag = "{" + name if "}" in name else name
        if tag.startswith(f"{{{XINCLUDE_NS}}}"):
            _refuse("XInclude")
        attributes = {("{" + k if "}" in k else k): v for k, v in attrs.items()}
        attributes[_LINE_KEY] = str(parser.CurrentLineNumber)
        builder.start(tag, attributes)

    def end(name: str) -> None:
        nonlocal depth
        depth -= 1
        builder.end("{" + name if "}" in name else name)

    def refuse_doctype(*_: Any) -> None:
        _refuse("a DOCTYPE")

    def refuse_entity(*_: Any) -> None:
        _refuse("an entity declaration")

    def refuse_external(*_: Any) -> int:
        _refuse("an external entity reference")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_entity
    parser.UnparsedEntityDeclHandler = refuse_entity
    parser.NotationDeclHandler = refuse_entity
    parser.ExternalEntityRefHandler = refuse_external
    parser.buffer_text = True
    parser.ordered_attributes = False
    parser.Parse(data, True)
    root: Element = builder.close()
    return root


def _escape_raw_ampersands(data: bytes, ctx: ReadContext) -> bytes:
    matches = list(_RAW_AMP.finditer(data))
    line, offset, last = 1, 0, 0
    for match in matches:
        line += data.count(b"\n", offset, match.start())
        offset = match.start()
        if line != last:
            ctx.warn("raw '&' (not an XML entity) read as a literal '&'", line=line)
            last = line
    return _RAW_AMP.sub(b"&amp;", data)


def parse_xml(data: bytes, ctx: ReadContext) -> Element:
    """The document root, refusing DTDs, entities, external references and XInclude."""
    source = ctx.source
    try:
        try:
            return _build(data, ctx.limits.max_json_depth)
        except expat.ExpatError as exc:
            if exc.code not in _RAW_AMP_ERRORS or not _RAW_AMP.search(data):
                raise
            return _build(_escape_raw_ampersands(data, ctx), ctx.limits.max_json_depth)
    except _Refused as exc:
        raise FormatError(
            source,
            f"refused unsafe XML: {exc.what} is not allowed "
            "(entity-expansion, external-entity or XInclude attack?)",
            expected="a plain XML document without DTD (setting CROSSFADE_READ_MAX_JSON_DEPTH "
            "bounds nesting)",
        ) from exc
    except expat.ExpatError as exc:
        raise FormatError(
            source, f"malformed XML: {expat.errors.messages[exc.code]}", line=exc.lineno
        ) from exc
