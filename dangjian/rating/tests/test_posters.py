"""C8 QR posters (SPEC §5b): one A4 page per target drawn by WeasyPrint with the Noto CJK font
embedded; the name sized to fit on one or two lines (never spilling onto a second page), text
from the database shown as text (never as markup), each target's own file the same as its page of
a set, and a clear refusal when the fonts are missing."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dangjian.core import pdf
from dangjian.core.testing import embedded_fonts, pdf_pages
from dangjian.rating import qr
from dangjian.rating.choices import TARGET_NAME_MAX
from dangjian.rating.tests.factories import make_target

pytestmark = pytest.mark.django_db

BASE = "https://pj.example.cn"


def test_names_shrink_to_fit_one_line_then_two():
    box = qr.BOX_PT
    short, middle = "财政局办事窗口", "城关镇人民政府便民服务中心窗口"
    long = "县人力资源和社会保障局劳动保障监察大队投诉举报受理窗口及调解仲裁窗口"
    sizes = {name: qr.fit_size(name, 44, 30, 14, box) for name in (short, middle, long)}
    assert sizes[short] == 44 and qr.line_count(short, sizes[short], box) == 1
    assert 30 <= sizes[middle] < 44 and qr.line_count(middle, sizes[middle], box) == 1
    assert 14 <= sizes[long] < 30 and qr.line_count(long, sizes[long], box) == 2
    # Latin letters are narrower than Chinese characters: more of them fit
    assert qr.fit_size("W" * 16, 44, 30, 14, box) > qr.fit_size("窗" * 16, 44, 30, 14, box)
    assert qr.fit_size("窗" * TARGET_NAME_MAX, 44, 30, 14, box) == 14


def test_long_names_and_markup_stay_text_on_one_page_each(tree):
    longest = make_target(tree.a1, "便民服务" * (TARGET_NAME_MAX // 4))
    markup = make_target(tree.t1, '<b>新村</b> & "服务站"', "station")
    document = qr.poster_pdf([(longest, "党" * 100), (markup, tree.t1.name)], BASE)
    pages = pdf_pages(document)
    assert len(pages) == 2  # one page per target, whatever the lengths
    assert "便民服务" * 10 in pages[0].replace("\n", "")
    assert '<b>新村</b> & "服务站"' in pages[1] and qr.INSTRUCTIONS in pages[1]


def test_each_targets_file_is_its_page_of_the_set(tree):
    a = make_target(tree.a1, "财政局办事窗口")
    b = make_target(tree.t1, "新村便民服务站", "station")
    files = list(qr.poster_pdfs([a, b], BASE))
    assert [t for t, _ in files] == [a, b]
    for target, document in files:
        [page] = pdf_pages(document)
        assert target.name in page.splitlines() and f"{BASE}/r/{target.code}" in page
        alone = qr.poster_pdf([(target, target.organization.name)], BASE)
        assert pdf_pages(alone) == [page] and embedded_fonts(alone) == embedded_fonts(document)
        assert any("NotoSansCJK" in f.replace("-", "") for f in embedded_fonts(document))


def test_export_qr_without_fonts_or_a_writable_directory_refuses(tree, tmp_path, monkeypatch):
    make_target(tree.a1, "财政局办事窗口")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CommandError, match="无法写入输出目录"):
        call_command("export_qr", "--out", str(blocker / "posters"))
    monkeypatch.setattr(pdf, "cjk_fonts_installed", lambda: False)
    with pytest.raises(CommandError, match="fonts-noto-cjk"):
        call_command("export_qr", "--out", str(tmp_path / "posters"))
    assert not (tmp_path / "posters").exists()
