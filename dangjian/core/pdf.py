"""Printable PDFs (QR posters, 通报, 成绩单): an HTML template rendered by WeasyPrint with the
Noto CJK fonts of Debian's fonts-noto-cjk, embedded as subsets so any reader shows the Chinese
text. The renderer fetches nothing from the network: a template brings its images inline
(SVG or data: URIs), and any other address is refused."""

from __future__ import annotations

import ctypes.util
import shutil
import subprocess
from collections.abc import Iterator
from functools import lru_cache

from django.template.loader import render_to_string

CJK_FAMILY = "Noto Sans CJK SC"
INSTALL_HINT = "未安装中文字体，无法生成 PDF：请以 root 运行 apt-get install -y fonts-noto-cjk"
SUBSET_HINT = (
    "未安装 HarfBuzz 字体子集库，每份 PDF 的生成要慢十余倍：请以 root 运行 "
    "apt-get install -y libharfbuzz-subset0"
)


class PdfUnavailable(RuntimeError):
    """The machine lacks what a PDF needs (the CJK fonts); the message says how to fix it."""


@lru_cache(maxsize=1)
def cjk_fonts_installed() -> bool:
    """Whether fontconfig knows the Noto Sans CJK family (without it WeasyPrint would draw
    empty boxes for every Chinese character)."""
    if not shutil.which("fc-list"):
        return False
    found = subprocess.run(
        ["fc-list", CJK_FAMILY, "family"], capture_output=True, text=True, check=False
    )
    return CJK_FAMILY in found.stdout


def harfbuzz_subset_installed() -> bool:
    """Whether HarfBuzz's subsetter is there: WeasyPrint cuts the embedded CJK fonts down with
    it in a fraction of the time its fontTools fallback takes (0.15 s against 2.6 s for a
    page of Chinese text on the reference machine)."""
    return ctypes.util.find_library("harfbuzz-subset") is not None


def check_fonts() -> None:
    """Raise PdfUnavailable (with the fix in Chinese) when the CJK fonts are missing."""
    if not cjk_fonts_installed():
        raise PdfUnavailable(INSTALL_HINT)


def _document(html: str):
    """WeasyPrint's laid-out pages of an HTML document."""
    check_fonts()
    # Imported here: WeasyPrint loads Pango, which no page needs.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    inline_only = URLFetcher(allowed_protocols={"data"})  # nothing on the network or disk
    return HTML(string=html, url_fetcher=inline_only).render()


def html_to_pdf(html: str) -> bytes:
    """The PDF of an HTML document (A4 and the fonts come from its stylesheet, normally
    templates/pdf/base.html)."""
    return _document(html).write_pdf()


def html_to_page_pdfs(html: str) -> Iterator[bytes]:
    """A PDF of each page of an HTML document, laid out once (a set of posters, one file per
    poster: layout costs as much as writing a page, so doing it once per set saves that)."""
    document = _document(html)
    for page in document.pages:
        yield document.copy(pages=[page]).write_pdf()


def render_pdf(template_name: str, context: dict) -> bytes:
    """Render a template that extends pdf/base.html to PDF bytes."""
    return html_to_pdf(render_to_string(template_name, context))
