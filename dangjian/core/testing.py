"""Reading PDFs back in tests: the text a reader would extract (through the fonts' ToUnicode
maps, so missing glyphs or a font that was not embedded show up as missing text) and the names
of the embedded fonts."""

from __future__ import annotations

import io
import os


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


# What a child process would otherwise inherit that decides which database, queue or server
# it uses: the tests choose those themselves.
INHERITED_CHOICES = ("DATABASE_URL", "REDIS_URL", "DANGJIAN_SERVER", "DJANGO_SETTINGS_MODULE")


def project_env(var_dir, **overrides: str) -> dict[str, str]:
    """The environment for running the project in a child process (manage.py, the server, a
    probe): this process's, without its database, queue and server choices, with the test
    settings' keys (so the child reads what the tests wrote), its own var directory, and
    `overrides` on top."""
    from django.conf import settings

    env = {key: value for key, value in os.environ.items() if key not in INHERITED_CHOICES}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DANGJIAN_VAR_DIR=str(var_dir),
        DANGJIAN_SECRET_KEY=settings.SECRET_KEY,
        DANGJIAN_PII_KEY=settings.PII_KEY,
        **overrides,
    )
    return env
