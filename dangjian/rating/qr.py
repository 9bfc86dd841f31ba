"""QR codes and printable posters of rated targets (一码统管, SPEC §5b): the code's URL, its SVG
and PNG (segno), an A4 PDF poster per target (name, QR, one line of instructions; reportlab
with the Adobe CJK font STSong-Light, which PDF readers supply, so no font file is embedded),
and the set written by `manage.py export_qr` and the page's download: a poster per target and
targets.csv (code, name, org_code, url)."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from pathlib import Path

import segno
from django.conf import settings
from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from dangjian.rating.models import RatedTarget

FONT = "STSong-Light"
INSTRUCTIONS = "请用手机扫一扫，为我们的服务打分（无需登录，可留言反映问题）"
CSV_COLUMNS = ("code", "name", "org_code", "url")
_font_ready = False


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


def _font() -> str:
    global _font_ready
    if not _font_ready:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _font_ready = True
    return FONT


def _fit(text: str, size: float, width: float) -> float:
    """The largest font size up to `size` at which `text` fits in `width`."""
    while size > 10 and pdfmetrics.stringWidth(text, FONT, size) > width:
        size -= 1
    return size


def _draw_poster(pdf: canvas.Canvas, target: RatedTarget, org_name: str, url: str) -> None:
    """One A4 page: a red band, the target's name, its organization, the QR code drawn as
    vector squares, the instructions, the code and the address in small print."""
    font = _font()
    width, height = A4
    margin = 20 * mm
    pdf.setFillColorRGB(0.698, 0.133, 0.133)
    pdf.rect(0, height - 38 * mm, width, 38 * mm, stroke=0, fill=1)
    pdf.setFillColorRGB(1, 1, 1)
    pdf.setFont(font, 30)
    pdf.drawCentredString(width / 2, height - 24 * mm, "群众评议 · 扫码评价")
    pdf.setFillColorRGB(0, 0, 0)
    size = _fit(target.name, 34, width - 2 * margin)
    pdf.setFont(font, size)
    pdf.drawCentredString(width / 2, height - 60 * mm, target.name)
    pdf.setFont(font, _fit(org_name, 16, width - 2 * margin))
    pdf.setFillColorRGB(0.3, 0.3, 0.3)
    pdf.drawCentredString(width / 2, height - 72 * mm, f"{org_name} · {target.get_kind_display()}")

    matrix = list(qr_code(url).matrix_iter(scale=1, border=2))
    side = 130 * mm
    cell = side / len(matrix)
    left = (width - side) / 2
    top = height - 82 * mm
    pdf.setFillColorRGB(0, 0, 0)
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):  # one rectangle per run of dark cells
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                pdf.rect(
                    left + start * cell,
                    top - (y + 1) * cell,
                    (x - start) * cell,
                    cell,
                    stroke=0,
                    fill=1,
                )
            else:
                x += 1

    pdf.setFont(font, _fit(INSTRUCTIONS, 18, width - 2 * margin))
    pdf.drawCentredString(width / 2, top - side - 14 * mm, INSTRUCTIONS)
    pdf.setFont(font, 12)
    pdf.setFillColorRGB(0.35, 0.35, 0.35)
    pdf.drawCentredString(width / 2, top - side - 26 * mm, f"评议码 {target.code}")
    pdf.drawCentredString(width / 2, top - side - 33 * mm, url)
    pdf.setTitle(f"{target.name} 评议二维码")
    pdf.showPage()


def poster_pdf(targets: Iterable[tuple[RatedTarget, str]], base: str) -> bytes:
    """A PDF with one poster page per (target, organization name)."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, invariant=1)
    pdf.setAuthor("智慧党建")
    for target, org_name in targets:
        _draw_poster(pdf, target, org_name, target_url(target.code, base))
    pdf.save()
    return out.getvalue()


def targets_csv(rows: Iterable[tuple[RatedTarget, str]], base: str) -> str:
    """targets.csv: code, name, org_code, url (UTF-8 with BOM so Excel reads the names)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for target, org_code in rows:
        writer.writerow([target.code, target.name, org_code, target_url(target.code, base)])
    return "\ufeff" + out.getvalue()


def poster_filename(target: RatedTarget) -> str:
    safe = "".join(ch for ch in target.name if ch not in '/\\:*?"<>|').strip() or "评议对象"
    return f"{target.code}-{safe[:40]}.pdf"


def _rows(targets) -> list[RatedTarget]:
    return list(targets.select_related("organization").order_by("organization__path", "name", "id"))


def write_dir(targets, out: Path, base: str) -> int:
    """export_qr: a poster PDF per target and targets.csv in `out`; returns the count."""
    out.mkdir(parents=True, exist_ok=True)
    rows = _rows(targets)
    for t in rows:
        (out / poster_filename(t)).write_bytes(poster_pdf([(t, t.organization.name)], base))
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


def zip_bytes(targets, base: str) -> tuple[bytes, int]:
    """The same set as a ZIP download (the page's 批量下载海报 button)."""
    rows = _rows(targets)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for t in rows:
            archive.writestr(
                _entry(poster_filename(t), t.updated_at),
                poster_pdf([(t, t.organization.name)], base),
            )
        newest = max((t.updated_at for t in rows), default=None)
        archive.writestr(
            _entry("targets.csv", newest),
            targets_csv([(t, t.organization.code) for t in rows], base),
        )
    return out.getvalue(), len(rows)
