"""Reading back the text of the posters in tests: reportlab writes each content stream as
ASCII85 over Flate, and text in the CJK font as UTF-16BE PDF strings with octal escapes."""

from __future__ import annotations

import base64
import re
import zlib

_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)
_SHOWN = re.compile(rb"\(((?:\\.|[^\\)])*)\) Tj", re.S)
_ESCAPE = re.compile(rb"\\([0-7]{1,3}|.)", re.S)
_SIMPLE = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(raw: bytes) -> bytes:
    def one(match):
        code = match.group(1)
        if code[:1].isdigit():
            return bytes([int(code, 8)])
        return _SIMPLE.get(code, code)

    return _ESCAPE.sub(one, raw)


def streams(pdf: bytes) -> list[bytes]:
    """Every content stream, decoded."""
    found = []
    for match in _STREAM.finditer(pdf):
        data = match.group(1).strip()
        if data.endswith(b"~>"):
            data = base64.a85decode(data, adobe=True)
        try:
            found.append(zlib.decompress(data))
        except zlib.error:
            continue
    return found


def page_texts(pdf: bytes) -> list[list[str]]:
    """The strings shown on each page, in order."""
    pages = []
    for data in streams(pdf):
        shown = [_unescape(s).decode("utf-16-be") for s in _SHOWN.findall(data)]
        if shown:
            pages.append(shown)
    return pages
