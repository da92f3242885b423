"""The reports in a real browser: offline, accessible (WCAG 2.2 A/AA), printable.

Headless Debian Chromium through Playwright, axe-core from npm (``make browser-deps``).
Skipped with a reason when those are missing, except under CI=true where that fails.
Every report page in the ``reports_dir`` fixture is checked (see ``browser_support``).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from browser_support import (  # noqa: F401  (fixtures)
    browser,
    browser_tools,
    check_report_in_browser,
    pdf_page_count,
    pdf_page_sizes_mm,
    report_files,
    reports_dir,
    run_axe,
    sample_notebook,
)

from dspl_eval.export import write_pdf

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group(name="demo")]


def _problems_by_report(reports: Path, check) -> str:
    """Run ``check(html) -> list[str]`` on every report; a readable summary of failures."""
    pages = report_files(reports)
    assert pages, f"no report pages (*.html) under {reports}"
    failures = {}
    for page in pages:
        problems = check(page)
        if problems:
            failures[page.relative_to(reports)] = problems
    return "\n".join(
        f"{name}:\n" + "\n".join(f"  - {p}" for p in problems)
        for name, problems in failures.items()
    )


def test_reports_pass_in_the_browser(browser, reports_dir, tmp_path_factory):  # noqa: F811
    """Offline, no errors, real alt text, axe WCAG 2.2 A/AA, outline, table headers, print
    width — for every report page. Screenshots are kept beside the reports."""
    shots = tmp_path_factory.mktemp("screenshots")
    timings = []

    def check(page: Path) -> list[str]:
        started = time.perf_counter()
        shot = shots / page.relative_to(reports_dir).with_suffix(".png")
        problems = check_report_in_browser(page, shot, browser)
        timings.append((page.name, time.perf_counter() - started))
        assert shot.is_file() and shot.stat().st_size > 0, f"no screenshot for {page}"
        return problems

    failures = _problems_by_report(reports_dir, check)
    print("\n".join(f"browser check {name}: {seconds:.2f} s" for name, seconds in timings))
    print(f"screenshots: {shots}")
    assert not failures, f"reports that fail in the browser:\n{failures}"


def test_reports_print_to_pdf(browser_tools, reports_dir, tmp_path):  # noqa: F811
    """Each report prints to an A4 PDF of at least one page with headless Chromium."""

    def check(page: Path) -> list[str]:
        pdf = tmp_path / page.relative_to(reports_dir).with_suffix(".pdf")
        write_pdf(page, pdf)
        problems = []
        if not pdf.is_file():
            return [f"no PDF written at {pdf}"]
        if pdf_page_count(pdf) < 1:
            problems.append(f"{pdf} has no pages")
        sizes = set(pdf_page_sizes_mm(pdf))
        if any(abs(w - 210) > 1 or abs(h - 297) > 1 for w, h in sizes):
            problems.append(f"{pdf} pages are not A4 (mm): {sorted(sizes)}")
        return problems

    failures = _problems_by_report(reports_dir, check)
    assert not failures, f"reports that do not print:\n{failures}"


# --- the checks themselves catch what they should ----------------------------------------

BAD_PAGE = """<!DOCTYPE html>
<html><head><title>bad</title>
<script src="https://cdn.example.invalid/require.min.js"></script>
<style>.faint {{ color: #bbbbbb; }}</style></head>
<body>
<h2>Starts at h2</h2>
<h4>Skips h3</h4>
<p class="faint">Low-contrast text that fails WCAG AA.</p>
<img src="{png}" alt="No description has been provided for this image">
<img src="{png}">
<table><tr><td>1</td><td>2</td></tr></table>
<img src="{png}" alt="far too wide" style="width: 2000px; max-width: none">
</body></html>
"""
ONE_PIXEL_PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNk"
    "+A8AAQUBAScY42YAAAAASUVORK5CYII="
)


def test_the_checks_find_problems(browser, tmp_path):  # noqa: F811
    page = tmp_path / "bad.html"
    page.write_text(BAD_PAGE.format(png=ONE_PIXEL_PNG), encoding="utf-8")
    problems = "\n".join(check_report_in_browser(page, tmp_path / "bad.png", browser))
    expected = [
        "network request: https://cdn.example.invalid/require.min.js",
        "has a <script>",
        "no lang attribute",
        "one <main>",
        "no skip link",
        "placeholder alt text",
        "has no alt text",
        "exactly one <h1>",
        "heading level skipped: h2 → h4",
        "table 1 has no header cells",
        "axe color-contrast",
        "axe html-has-lang",
        "axe image-alt",
        "print: <img> 'far too wide'",
    ]
    missing = [text for text in expected if text not in problems]
    assert not missing, f"not reported: {missing}\nreported:\n{problems}"


def test_run_axe_on_a_clean_page(browser, tmp_path):  # noqa: F811
    page_file = tmp_path / "ok.html"
    page_file.write_text(
        '<!DOCTYPE html><html lang="en-GB"><head><title>ok</title></head>'
        "<body><main><h1>Fine</h1><p>Plain text.</p></main></body></html>",
        encoding="utf-8",
    )
    context = browser.new_context(offline=True)
    try:
        page = context.new_page()
        page.goto(page_file.as_uri())
        assert run_axe(page) == []
    finally:
        context.close()
