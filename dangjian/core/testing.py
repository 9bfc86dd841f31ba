"""Reading PDFs back in tests: the text a reader would extract (through the fonts' ToUnicode
maps, so missing glyphs or a font that was not embedded show up as missing text) and the names
of the embedded fonts."""

from __future__ import annotations

import io


def pdf_pages(pdf: bytes) -> list[str]:
    """The extracted text of every page."""
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def pdf_text(pdf: bytes) -> str:
    return "\n".join(pdf_pages(pdf))


def embedded_fonts(pdf: bytes) -> set[str]:
    """BaseFont names of the fonts whose program is embedded in the file."""
    from pypdf import PdfReader

    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = (page.get("/Resources") or {}).get("/Font") or {}
        for ref in fonts.values():
            font = ref.get_object()
            descendants = font.get("/DescendantFonts")
            inner = descendants[0].get_object() if descendants else font
            descriptor = (
                (inner.get("/FontDescriptor") or {}).get_object()
                if inner.get("/FontDescriptor")
                else {}
            )
            if any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                names.add(str(inner.get("/BaseFont", "")).lstrip("/"))
    return names
