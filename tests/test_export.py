"""The offline HTML export (no browser needed): nothing loaded from the network, no code,
alt text carried through, proper document structure."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from browser_support import (  # noqa: F401  (fixture)
    NBCONVERT_PLACEHOLDER,
    SAMPLE_ALT_START,
    SAMPLE_TITLE,
    sample_notebook,
)
from bs4 import BeautifulSoup

from dspl_eval import export
from dspl_eval.errors import DisclosureError, DsplEvalError
from dspl_eval.export import (
    find_external_resources,
    html_exporter,
    notebook_title,
    notebook_to_html,
    write_pdf,
)

REMOTE = r"""(?:https?:)?//"""


@pytest.fixture(scope="module")
def sample_html(sample_notebook) -> str:  # noqa: F811
    return notebook_to_html(sample_notebook)


def test_ipython_puts_alt_text_where_the_template_reads_it(sample_notebook):  # noqa: F811
    images = [
        output
        for cell in sample_notebook.cells
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]
    assert len(images) == 1  # plt.close(fig): the inline backend does not show it again
    assert images[0].metadata["image/png"]["alt"].startswith(SAMPLE_ALT_START)


def test_no_network_resource_loads(sample_html):
    assert "<script" not in sample_html.lower()
    patterns = {
        "script src": rf"<script[^>]+src\s*=\s*['\"]?{REMOTE}",
        "link href": rf"<link[^>]+href\s*=\s*['\"]?{REMOTE}",
        "img src": rf"<img[^>]+src\s*=\s*['\"]?{REMOTE}",
        "CSS url()": rf"url\(\s*['\"]?{REMOTE}",
        "CSS @import": r"@import",
    }
    for what, pattern in patterns.items():
        assert not re.search(pattern, sample_html, re.IGNORECASE), what
    for name in ("require", "mathjax", "mermaid", "cdnjs", "unpkg", "jsdelivr", "fonts.g"):
        assert name not in sample_html.lower(), name
    assert find_external_resources(sample_html) == []


def test_css_is_inlined_and_charts_embedded(sample_html):
    assert "<link" not in sample_html
    assert "<style" in sample_html and "@page" in sample_html and "break-inside" in sample_html
    assert re.search(r'<img[^>]+src="data:image/png;base64,[A-Za-z0-9+/=]{100,}"', sample_html)


def test_alt_text_is_carried_through(sample_html):
    assert re.search(rf'<img[^>]+alt="{SAMPLE_ALT_START}[^"]+Oak 52% to 83%', sample_html)
    assert NBCONVERT_PLACEHOLDER not in sample_html


def test_no_code_prompts_or_stderr(sample_html):
    assert "import matplotlib" not in sample_html
    assert "plt.subplots" not in sample_html
    assert "audience =" not in sample_html  # the parameters cell
    assert "In&nbsp;[" not in sample_html and "Out[" not in sample_html
    assert "jp-InputArea" not in sample_html and "highlight" not in sample_html
    assert "must not reach the report" not in sample_html  # a warning, on stderr
    assert "Report produced by dspl-eval (sample)" in sample_html  # stdout is kept


def test_document_structure(sample_html):
    assert '<html lang="en-GB">' in sample_html
    assert f"<title>{SAMPLE_TITLE}</title>" in sample_html
    assert sample_html.count("<main") == 1 and 'id="main-content"' in sample_html
    assert '<a class="skip-link" href="#main-content">' in sample_html
    assert sample_html.count("<h1") == 1
    assert "<th>School</th>" in sample_html
    assert "anchor-link" not in sample_html and "¶" not in sample_html


def _notebook(*cells, **metadata) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=list(cells))
    nb.metadata.update(metadata)
    return nb


def _display(mime: str, data, metadata=None):
    return nbformat.v4.new_output("display_data", data={mime: data}, metadata=metadata or {})


def test_title_from_metadata_argument_or_first_heading():
    md = nbformat.v4.new_markdown_cell
    nb = _notebook(md("Intro text"), md("# The **ELSA** report\n\n## Part"))
    assert notebook_title(nb) == "The ELSA report"
    assert "<title>The ELSA report</title>" in notebook_to_html(nb)
    nb.metadata["title"] = "From metadata"
    assert "<title>From metadata</title>" in notebook_to_html(nb)
    assert "<title>Given &amp; escaped</title>" in notebook_to_html(nb, title="Given & escaped")
    assert "<title>dspl-eval report</title>" in notebook_to_html(_notebook(md("no heading")))


def test_image_without_alt_gets_an_empty_alt_never_the_placeholder(caplog):
    cell = nbformat.v4.new_code_cell("fig", outputs=[_display("image/png", "iVBORw0KGgo=")])
    html = notebook_to_html(_notebook(cell))
    assert 'alt=""' in html
    assert NBCONVERT_PLACEHOLDER not in html
    assert "no alt text" in caplog.text


def test_alt_text_is_escaped():
    alt = 'Scores rose "a lot" <b> & more'
    cell = nbformat.v4.new_code_cell(
        "fig", outputs=[_display("image/png", "iVBORw0KGgo=", {"image/png": {"alt": alt}})]
    )
    html = notebook_to_html(_notebook(cell))
    images = BeautifulSoup(html, "html.parser").find_all("img")
    assert [img["alt"] for img in images] == [alt]
    assert "<b>" not in html


def test_scripts_widgets_and_stderr_are_dropped():
    outputs = [
        _display("application/javascript", "alert('x')"),
        nbformat.v4.new_output("stream", name="stderr", text="DeprecationWarning: ..."),
        nbformat.v4.new_output("error", ename="ValueError", evalue="bad", traceback=[]),
    ]
    html = notebook_to_html(_notebook(nbformat.v4.new_code_cell("x", outputs=outputs)))
    assert "<script" not in html and "alert(" not in html
    assert "DeprecationWarning" not in html
    assert "ValueError: bad" in html


def test_cells_tagged_remove_are_left_out():
    cell = nbformat.v4.new_markdown_cell("secret notes", metadata={"tags": ["remove-cell"]})
    assert "secret notes" not in notebook_to_html(_notebook(cell))


def test_a_remote_image_is_refused():
    cell = nbformat.v4.new_markdown_cell("![logo](https://example.org/logo.png)")
    with pytest.raises(DisclosureError, match=r"https://example.org/logo.png"):
        notebook_to_html(_notebook(cell))


def test_find_external_resources():
    html = """<html><head>
    <link rel="stylesheet" href="//cdn.example/x.css"><link rel="canonical" href="https://a/b">
    <style>@import "https://fonts.example/f.css"; .a { background: url('http://x/y.png') }
    .b { background: url(data:image/png;base64,AAA) }</style></head>
    <body><a href="https://www.gov.uk">a link is not a load</a>
    <img src="data:image/png;base64,AAA" srcset="https://x/a.png 1x, b.png 2x">
    <div style="background-image: url(https://x/z.png)"></div>
    <script src="https://cdn.example/require.js"></script></body></html>"""
    assert sorted(find_external_resources(html)) == [
        "//cdn.example/x.css",
        "http://x/y.png",
        "https://cdn.example/require.js",
        "https://fonts.example/f.css",
        "https://x/a.png",
        "https://x/z.png",
    ]


def test_the_exporter_is_configured_and_reused():
    exporter = html_exporter()
    assert exporter is html_exporter()
    assert exporter.template_name == "offline"
    assert exporter.exclude_input and exporter.exclude_input_prompt
    assert exporter.exclude_output_prompt and exporter.embed_images


def test_the_template_ships_with_the_package():
    import importlib.resources

    template = importlib.resources.files("dspl_eval") / "templates" / "offline"
    assert template.joinpath("index.html.j2").is_file()
    assert template.joinpath("conf.json").is_file()
    assert template.joinpath("static", "report.css").is_file()
    assert Path(str(template)) == export.TEMPLATE_DIR
    assert "@page" in export.report_css() and "url(" not in export.report_css()


def test_write_pdf_without_chromium_says_so(tmp_path, monkeypatch):
    page = tmp_path / "r.html"
    page.write_text("<html></html>", encoding="utf-8")
    monkeypatch.setattr(export, "find_chromium", lambda: None)
    with pytest.raises(DsplEvalError, match="Chromium was not found"):
        write_pdf(page, tmp_path / "r.pdf")
    assert not (tmp_path / "r.pdf").exists()


def test_write_pdf_reports_a_failing_chromium(tmp_path, monkeypatch):
    page = tmp_path / "r.html"
    page.write_text("<html></html>", encoding="utf-8")
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'something broke' >&2\nexit 3\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("DSPL_EVAL_CHROMIUM", str(fake))
    with pytest.raises(DsplEvalError, match=r"exit status 3.*something broke"):
        write_pdf(page, tmp_path / "r.pdf")
    assert list(tmp_path.glob("*.pdf")) == [] and list(tmp_path.glob(".r.pdf.*")) == []


def test_write_pdf_times_out(tmp_path, monkeypatch):
    page = tmp_path / "r.html"
    page.write_text("<html></html>", encoding="utf-8")
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\nsleep 30\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("DSPL_EVAL_CHROMIUM", str(fake))
    with pytest.raises(DsplEvalError, match="took longer than"):
        write_pdf(page, tmp_path / "r.pdf", timeout=0.5)


def test_write_pdf_missing_html(tmp_path):
    with pytest.raises(DsplEvalError, match="no such file"):
        write_pdf(tmp_path / "nope.html", tmp_path / "nope.pdf")


def test_expression_values_are_shown_like_displays():
    table = nbformat.v4.new_output(
        "execute_result",
        data={"text/html": "<table><tr><th>a</th></tr></table>", "text/plain": "a"},
        execution_count=1,
    )
    value = nbformat.v4.new_output("execute_result", data={"text/plain": "42"}, execution_count=2)
    cells = [
        nbformat.v4.new_code_cell("x", outputs=[table]),
        nbformat.v4.new_code_cell("y", outputs=[value]),
    ]
    html = notebook_to_html(_notebook(*cells))
    assert '<div class="table-wrap">\n<table><tr><th>a</th></tr></table>' in html
    assert "<pre>42</pre>" in html and "Out[" not in html


def test_page_metadata_becomes_meta_tags():
    nb = _notebook(nbformat.v4.new_markdown_cell("# Report"))
    nb.metadata["dspl_eval"] = {
        "edition": "commissioner",
        "term": "2023-24-summer",
        "threshold": 7,
        "initiative": "ebsa",
        "data_fingerprint": "ab" * 32,
    }
    head = BeautifulSoup(notebook_to_html(nb), "html.parser").head
    found = {
        m["name"]: m["content"]
        for m in head.find_all("meta")
        if m.get("name", "").startswith("dspl-eval-")
    }
    assert found == {
        "dspl-eval-edition": "commissioner",
        "dspl-eval-term": "2023-24-summer",
        "dspl-eval-threshold": "7",
        "dspl-eval-initiative": "ebsa",
        "dspl-eval-data-fingerprint": "ab" * 32,
    }


def test_no_page_metadata_no_meta_tags():
    html = notebook_to_html(_notebook(nbformat.v4.new_markdown_cell("# Report")))
    assert "dspl-eval-" not in html


def test_chart_data_is_written_on_the_img_and_round_trips():
    chart = {
        "kind": "category_bars",
        "per_person": False,
        "columns": ["Group", "n"],
        "rows": [["Rose <&> \"fell\" 'x'", 12], ["Fell", "c"], ["Mean", float("nan")]],
        "counts": ["n"],
    }
    with_chart = _display(
        "image/png", "iVBORw0KGgo=", {"image/png": {"alt": "Bars", "dspl-chart": chart}}
    )
    without = _display("image/png", "iVBORw0KGgo=", {"image/png": {"alt": "Plain"}})
    cells = [nbformat.v4.new_code_cell("fig", outputs=[with_chart, without])]
    images = BeautifulSoup(notebook_to_html(_notebook(*cells)), "html.parser").find_all("img")
    assert [img.get("data-dspl-chart") is not None for img in images] == [True, False]
    carried = json.loads(images[0]["data-dspl-chart"])
    assert carried["rows"][0] == ["Rose <&> \"fell\" 'x'", 12]
    assert carried["rows"][2] == ["Mean", None]  # NaN is not JSON: null
    assert {k: v for k, v in carried.items() if k != "rows"} == {
        k: v for k, v in chart.items() if k != "rows"
    }


def test_chart_attribute_is_escaped():
    assert export.chart_attribute(None) == ""
    attribute = export.chart_attribute({"a": '"><script>'})
    assert "<script>" not in attribute and '"><' not in attribute
    assert attribute.startswith(' data-dspl-chart="') and attribute.endswith('"')
