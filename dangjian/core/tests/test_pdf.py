from django.template import engines

from dangjian.core import pdf
from dangjian.core.testing import embedded_fonts, pdf_pages, pdf_text

TEMPLATE = engines["django"].from_string(
    '{% extends "pdf/base.html" %}{% block body %}<h1>{{ title }}</h1>'
    "<table>{% for name in names %}<tr><td>{{ name }}</td></tr>{% endfor %}</table>"
    "{% endblock %}"
)


def test_chinese_text_is_extractable_and_the_cjk_font_is_embedded():
    names = [f"城关镇第{i}党支部" for i in range(120)]
    document = pdf.html_to_pdf(TEMPLATE.render({"title": "月通报 · 达标率", "names": names}))

    assert document.startswith(b"%PDF")
    text = pdf_text(document)
    assert "月通报 · 达标率" in text
    assert all(name in text for name in names)
    assert len(pdf_pages(document)) >= 2  # the long table breaks onto a second A4 page
    assert any("NotoSansCJK" in font.replace("-", "") for font in embedded_fonts(document))


def test_external_addresses_are_not_fetched():
    html = TEMPLATE.render({"title": "海报", "names": []}).replace(
        "</h1>", '</h1><img src="http://169.254.169.254/latest/meta-data/">'
    )
    document = pdf.html_to_pdf(html)  # the image is dropped, nothing is requested

    assert "海报" in pdf_text(document)


def test_missing_fonts_give_a_chinese_instruction(monkeypatch):
    monkeypatch.setattr(pdf, "cjk_fonts_installed", lambda: False)
    try:
        pdf.html_to_pdf("<p>x</p>")
    except pdf.PdfUnavailable as error:
        assert "fonts-noto-cjk" in str(error) and "中文字体" in str(error)
    else:
        raise AssertionError("expected PdfUnavailable")
