"""QR codes and printable posters of rated targets (一码统管, SPEC §5b): the code's URL, its SVG
and PNG (segno), an A4 PDF poster per target (a red band, the target's name sized to fit, its
organization, the QR code as vector SVG, one line of instructions, the code and the address;
the template rating/poster.html rendered by WeasyPrint with the Noto CJK fonts embedded, see
dangjian/core/pdf.py), and the set written by `manage.py export_qr` and the page's download: a
poster per target and targets.csv (code, name, org_code, url)."""

from __future__ import annotations

import csv
import io
import math
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from dangjian.core import pdf
from dangjian.rating.models import RatedTarget

INSTRUCTIONS = "请用手机扫一扫，为我们的服务打分（无需登录，可留言反映问题）"
CSV_COLUMNS = ("code", "name", "org_code", "url")
# A cell Excel would read as a formula when the CSV file is opened (=, +, -, @, or a tab or
# carriage return before them): written with a leading apostrophe, which Excel shows as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The poster's text box (rating/poster.html: 174 mm wide, the name's 42 mm high) in points,
# and the name's sizes: as large as 44 pt on one line, one line down to 30 pt, then about two
# lines, never below 14 pt.
BOX_PT, NAME_BOX_PT = 174 / 25.4 * 72, 42 / 25.4 * 72
NAME_PT, NAME_ONE_LINE_PT, NAME_LEAST_PT = 44.0, 30.0, 14.0
CHUNK = 50  # posters laid out together (bounds the memory of a province's export)


def base_url(request=None) -> str:
    """The address the codes point to: DANGJIAN_PUBLIC_URL, else the request's own host,
    else the local server."""
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL
    if request is not None:
        return request.build_absolute_uri("/").rstrip("/")
    return "http://127.0.0.1:8000"


def target_url(code: str, base: str) -> str:
    return f"{base}/r/{code}"


def qr_code(url: str):
    """A QR code of `url` with medium error correction (survives a scuffed poster)."""
    return segno.make(url, error="m", micro=False)


def svg_bytes(url: str) -> bytes:
    out = io.BytesIO()
    qr_code(url).save(out, kind="svg", scale=8, border=2, xmldecl=False, svgns=True)
    return out.getvalue()


def png_bytes(url: str) -> bytes:
    out = io.BytesIO()
    qr_code(url).save(out, kind="png", scale=10, border=2)
    return out.getvalue()


def poster_svg(url: str) -> SafeString:
    """The QR code as an inline SVG element for the poster: vector modules, sized by the
    poster's stylesheet, with a quiet zone of two modules."""
    out = io.BytesIO()
    qr_code(url).save(
        out, kind="svg", scale=1, border=2, xmldecl=False, svgns=True, omitsize=True, nl=False
    )
    return mark_safe(out.getvalue().decode("ascii"))  # segno's own markup, ASCII only


def _ems(text: str) -> float:
    """The width of `text` in ems of Noto Sans CJK: a Chinese character or full-width sign is
    one em, Latin letters and digits about 0.6."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.6 for ch in text) or 1.0


def fit_size(text: str, largest: float, one_line_least: float, least: float, width: float) -> float:
    """The font size (pt) for `text` in a box `width` pt wide: the largest up to `largest` at
    which it fits on one line; if that would be smaller than `one_line_least`, a size that
    fills about two lines (wrapping loses some width at the break), never below `least`."""
    ems = _ems(text)
    one_line = width / ems
    if one_line >= largest:
        return largest
    if one_line >= one_line_least:
        return round(one_line - 0.5, 1)
    return max(least, min(one_line_least, round(2 * width * 0.9 / ems - 0.5, 1)))


def line_count(text: str, size: float, width: float) -> int:
    """About how many lines `text` takes at `size` pt in a box `width` pt wide."""
    return max(1, math.ceil(_ems(text) * size / width))


def _poster(target: RatedTarget, org_name: str, base: str) -> dict:
    url = target_url(target.code, base)
    size = fit_size(target.name, NAME_PT, NAME_ONE_LINE_PT, NAME_LEAST_PT, BOX_PT)
    height = line_count(target.name, size, BOX_PT) * size * 1.25  # line-height 1.25
    return {
        "target": target,
        "org_name": org_name,
        "url": url,
        "svg": poster_svg(url),
        "name_size": size,
        "name_pad": round(max(0.0, (NAME_BOX_PT - height) / 2), 1),  # centred in its box
        "org_size": fit_size(f"{org_name} · {target.get_kind_display()}", 16, 13, 10, BOX_PT),
    }


def poster_html(targets: Iterable[tuple[RatedTarget, str]], base: str) -> str:
    """The posters of (target, organization name) pairs as one HTML document, a page each."""
    posters = [_poster(target, org_name, base) for target, org_name in targets]
    return render_to_string(
        "rating/poster.html", {"posters": posters, "instructions": INSTRUCTIONS}
    )


def poster_pdf(targets: Iterable[tuple[RatedTarget, str]], base: str) -> bytes:
    """A PDF with one poster page per (target, organization name)."""
    return pdf.html_to_pdf(poster_html(targets, base))


def poster_pdfs(rows: Sequence[RatedTarget], base: str) -> Iterator[tuple[RatedTarget, bytes]]:
    """Each target's own poster PDF. The posters are laid out together, CHUNK at a time, and
    each page is written as its own file: one layout instead of one per poster."""
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        html = poster_html([(t, t.organization.name) for t in chunk], base)
        yield from zip(chunk, pdf.html_to_page_pdfs(html), strict=True)


def targets_csv(rows: Iterable[tuple[RatedTarget, str]], base: str) -> str:
    """targets.csv: code, name, org_code, url (UTF-8 with BOM so Excel reads the names)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for target, org_code in rows:
        writer.writerow(
            [target.code, csv_text(target.name), org_code, target_url(target.code, base)]
        )
    return "\ufeff" + out.getvalue()


def csv_text(text: str) -> str:
    """`text` as a CSV cell that Excel opens as text, never as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def poster_filename(target: RatedTarget) -> str:
    safe = "".join(ch for ch in target.name if ch not in '/\\:*?"<>|').strip() or "评议对象"
    return f"{target.code}-{safe[:40]}.pdf"


def _rows(targets) -> list[RatedTarget]:
    return list(targets.select_related("organization").order_by("organization__path", "name", "id"))


def write_dir(targets, out: Path, base: str) -> int:
    """export_qr: a poster PDF per target and targets.csv in `out`; returns the count."""
    pdf.check_fonts()
    out.mkdir(parents=True, exist_ok=True)
    rows = _rows(targets)
    for t, document in poster_pdfs(rows, base):
        (out / poster_filename(t)).write_bytes(document)
    (out / "targets.csv").write_text(
        targets_csv([(t, t.organization.code) for t in rows], base), encoding="utf-8"
    )
    return len(rows)


def _entry(name: str, when) -> zipfile.ZipInfo:
    """A ZIP entry stamped with the target's last change (not the time of the download), so
    the same targets always give the same archive."""
    stamp = timezone.localtime(when).timetuple()[:6] if when else (1980, 1, 1, 0, 0, 0)
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


class _Sink(io.RawIOBase):
    """A write-only file that cannot seek, whose bytes are taken out as they arrive (zipfile
    then writes each entry's sizes after its data)."""

    def __init__(self):
        super().__init__()
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def zip_stream(targets, base: str) -> Iterator[bytes]:
    """The same set as a ZIP download (the page's 批量下载海报 button), sent poster by poster
    as they are drawn: a county's ZIP takes about twenty seconds, and a proxy in front would
    give up on a silent answer that long. The targets are read, and the fonts checked
    (PdfUnavailable), before the first byte."""
    pdf.check_fonts()
    rows = _rows(targets)

    def chunks() -> Iterator[bytes]:
        sink = _Sink()
        with zipfile.ZipFile(sink, "w") as archive:
            for t, document in poster_pdfs(rows, base):
                archive.writestr(_entry(poster_filename(t), t.updated_at), document)
                yield sink.take()
            newest = max((t.updated_at for t in rows), default=None)
            archive.writestr(
                _entry("targets.csv", newest),
                targets_csv([(t, t.organization.code) for t in rows], base),
            )
        yield sink.take()

    return chunks()
