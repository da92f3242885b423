"""Shared helpers and fixtures for the export and browser tests.

The checks a report must pass in a real browser live here as plain functions, so they can
be pointed at any report in one line::

    from browser_support import check_report_in_browser
    problems = check_report_in_browser(Path("reports/demo/2023-24-summer/ebsa.html"),
                                       Path("/tmp/ebsa.png"))

- :func:`check_report_in_browser` — open a report offline in headless Chromium and return
  its problems (network requests, console/page errors, images without real alt text, axe-core
  WCAG 2.2 A/AA violations, heading outline, tables without header cells, charts or tables
  wider than an A4 page when printed); an empty list means it passes. Takes a screenshot.
- :func:`run_axe` — inject axe-core into a Playwright page and return its violations.
- :func:`pdf_page_count` — pages in a PDF (for the print test).
- :func:`build_sample_report` — a small report made the way real ones are (nbformat →
  papermill → :func:`dspl_eval.export.notebook_to_html`), used until the demo reports exist.

Fixtures (import them into a test module): ``sample_notebook`` (executed, session-scoped),
``reports_dir`` (a directory of report HTML files), ``browser_tools`` (skips, or fails
under CI=true, when Chromium or axe-core is missing).
"""

from __future__ import annotations

import contextlib
import os
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import nbformat
import pytest

from dspl_eval.export import find_chromium, notebook_to_html

ROOT = Path(__file__).resolve().parent.parent
AXE_JS = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
NBCONVERT_PLACEHOLDER = "No description has been provided for this image"
#: nbconvert's own placeholder and other non-descriptions an image must not have
BAD_ALT = {NBCONVERT_PLACEHOLDER.lower(), "image", "chart", "figure", "graph", "plot", "png"}
ALLOWED_SCHEMES = {"file", "data", "about", "blob"}

# A4 with the template's 15 mm margins, in CSS pixels (96 per inch)
MM = 96 / 25.4
A4_CONTENT_WIDTH_PX = int((210 - 2 * 15) * MM)  # 680
A4_CONTENT_HEIGHT_PX = int((297 - 2 * 15) * MM)  # 1009
SCREEN_VIEWPORT = {"width": 1280, "height": 900}

CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-sandbox",
    "--mute-audio",
]


# --- tools ------------------------------------------------------------------------------


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def missing_browser_tools() -> list[str]:
    """What the browser tests need and is not installed (empty when all is there)."""
    missing = []
    if find_chromium() is None:
        missing.append("Debian's chromium (/usr/bin/chromium)")
    if not AXE_JS.is_file():
        missing.append(f"axe-core ({AXE_JS.relative_to(ROOT)})")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package (pip install -e '.[dev]')")
    return missing


def require_browser_tools() -> None:
    """Skip the calling test when a tool is missing — or fail it when CI=true."""
    missing = missing_browser_tools()
    if not missing:
        return
    message = f"browser tools missing: {', '.join(missing)}; run `make browser-deps`"
    if in_ci():
        pytest.fail(f"{message} (CI=true: the browser tests must run in CI)")
    pytest.skip(message)


@contextlib.contextmanager
def launched_browser() -> Iterator[Any]:
    """Headless Debian Chromium through Playwright (nothing downloaded)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=find_chromium(), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


# --- checks -----------------------------------------------------------------------------


def run_axe(page: Any, tags: list[str] | None = None) -> list[dict]:
    """Inject axe-core into ``page`` and return its violations for the WCAG 2.2 A/AA tags
    (each a dict with ``id``, ``impact``, ``help``, ``nodes`` ...)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    results = page.evaluate(
        """async (tags) => await axe.run(document, {
            runOnly: {type: 'tag', values: tags},
            resultTypes: ['violations'],
        })""",
        tags or AXE_TAGS,
    )
    return results["violations"]


def describe_axe_violations(violations: list[dict]) -> list[str]:
    lines = []
    for violation in violations:
        targets = [", ".join(map(str, node["target"])) for node in violation["nodes"][:5]]
        more = len(violation["nodes"]) - len(targets)
        lines.append(
            f"axe {violation['id']} ({violation.get('impact')}): {violation['help']} — "
            f"{'; '.join(targets)}{f' and {more} more' if more > 0 else ''}"
        )
    return lines


_PAGE_FACTS = """() => {
  const text = (el) => (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 60);
  return {
    lang: document.documentElement.getAttribute('lang'),
    title: document.title,
    mains: document.querySelectorAll('main, [role=main]').length,
    skipLink: !!document.querySelector('a[href^="#"]')
        && document.querySelector('a[href^="#"]').getAttribute('href').length > 1
        && !!document.getElementById(
             document.querySelector('a[href^="#"]').getAttribute('href').slice(1)),
    scripts: Array.from(document.scripts).map((s) => s.src || '(inline)'),
    images: Array.from(document.images).map((img, i) => ({
        index: i, alt: img.getAttribute('alt'), complete: img.complete,
        width: img.naturalWidth, src: (img.getAttribute('src') || '').slice(0, 40)})),
    headings: Array.from(document.querySelectorAll('h1, h2, h3, h4, h5, h6')).map(
        (h) => ({level: Number(h.tagName[1]), text: text(h)})),
    tables: Array.from(document.querySelectorAll('table')).map((t, i) => ({
        index: i, th: t.querySelectorAll('th').length, text: text(t)})),
  };
}"""

_LAYOUT = """(limit) => {
  const out = [];
  for (const el of document.querySelectorAll('img, table, svg, pre')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    out.push({tag: el.tagName.toLowerCase(), left: r.left, right: r.right, width: r.width,
              height: r.height, alt: el.getAttribute('alt'),
              text: (el.textContent || '').trim().slice(0, 40)});
  }
  return {elements: out, scrollWidth: document.documentElement.scrollWidth};
}"""


def check_facts(facts: dict) -> list[str]:
    """Structure problems from the facts gathered in the page (pure; tested on its own)."""
    problems = []
    if not (facts["lang"] or "").strip():
        problems.append("<html> has no lang attribute")
    if not facts["title"].strip():
        problems.append("the page has no <title>")
    if facts["mains"] != 1:
        problems.append(f"expected exactly one <main> landmark, found {facts['mains']}")
    if not facts["skipLink"]:
        problems.append("no skip link to the main content")
    for src in facts["scripts"]:
        problems.append(f"the page has a <script> ({src}); reports must not need scripts")
    for img in facts["images"]:
        alt = (img["alt"] or "").strip()
        where = f"image {img['index'] + 1} ({img['src']}…)"
        if img["alt"] is None or not alt:
            problems.append(f"{where} has no alt text")
        elif alt.lower() in BAD_ALT:
            problems.append(f"{where} has placeholder alt text {alt!r}")
        if not img["complete"] or img["width"] == 0:
            problems.append(f"{where} did not load")
    problems.extend(heading_problems(facts["headings"]))
    for table in facts["tables"]:
        if table["th"] == 0:
            problems.append(
                f"table {table['index'] + 1} has no header cells (<th>): {table['text']!r}"
            )
    return problems


def heading_problems(headings: list[dict]) -> list[str]:
    """One h1 that comes first; going down, no level is skipped (h2 → h4)."""
    problems = []
    levels = [h["level"] for h in headings]
    if levels.count(1) != 1:
        problems.append(f"expected exactly one <h1>, found {levels.count(1)}")
    if levels and levels[0] != 1:
        problems.append(
            f"the first heading is an h{levels[0]} ({headings[0]['text']!r}), not the h1"
        )
    previous = 1
    for heading in headings:
        level = heading["level"]
        if level > previous + 1:
            problems.append(f"heading level skipped: h{previous} → h{level} ({heading['text']!r})")
        previous = level
    return problems


def layout_problems(layout: dict, page_width: float, page_height: float) -> list[str]:
    """Elements cut off on a printed page: wider than the content width, sticking out on
    the right, or (images) taller than a page."""
    problems = []
    tolerance = 1.0
    for el in layout["elements"]:
        label = f"<{el['tag']}> {el['alt'] or el['text']!r}"
        if el["width"] > page_width + tolerance or el["right"] > page_width + tolerance:
            problems.append(
                f"print: {label} is {el['width']:.0f}px wide (right edge at "
                f"{el['right']:.0f}px), the A4 page has {page_width:.0f}px"
            )
        if el["left"] < -tolerance:
            problems.append(f"print: {label} starts left of the page ({el['left']:.0f}px)")
        if el["tag"] in {"img", "svg"} and el["height"] > page_height + tolerance:
            problems.append(
                f"print: {label} is {el['height']:.0f}px tall, the A4 page has {page_height:.0f}px"
            )
    if layout["scrollWidth"] > page_width + tolerance:
        problems.append(
            f"print: the page is {layout['scrollWidth']}px wide, wider than A4 "
            f"({page_width:.0f}px): something will be cut off"
        )
    return problems


def check_report_in_browser(
    html_path: Path, screenshot_path: Path, browser: Any = None
) -> list[str]:
    """Open the report offline in headless Chromium and return its problems (empty = pass).

    Checks: no network request (anything but file:, data:, about:, blob:), no console error
    or page error, a screenshot (full page) at ``screenshot_path``, lang/title/main/skip
    link, no scripts, every <img> loaded with real alt text, axe-core WCAG 2.2 A/AA, one h1
    and no skipped heading level, every <table> has <th>, and — with print media at A4
    width — no image or table wider than the page. Pass ``browser`` (a Playwright browser)
    to reuse one across reports.
    """
    if browser is None:
        with launched_browser() as launched:
            return check_report_in_browser(html_path, screenshot_path, launched)

    html_path = Path(html_path).resolve()
    problems: list[str] = []
    requests: list[str] = []
    console_errors: list[str] = []
    context = browser.new_context(
        offline=True,
        viewport=SCREEN_VIEWPORT,
        locale="en-GB",
        java_script_enabled=True,  # for axe-core and our checks; reports have no scripts
        service_workers="block",
    )
    try:
        page = context.new_page()
        page.on("request", lambda request: requests.append(request.url))
        page.on(
            "console",
            lambda message: (
                console_errors.append(f"console {message.type}: {message.text}")
                if message.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda error: console_errors.append(f"page error: {error}"))
        response = page.goto(html_path.as_uri(), wait_until="load")
        if response is not None and not response.ok:
            problems.append(f"loading the page failed: HTTP {response.status}")
        page.wait_for_load_state("networkidle")

        screenshot_path = Path(screenshot_path)
        screenshot_path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot_path), full_page=True)

        problems.extend(check_facts(page.evaluate(_PAGE_FACTS)))
        problems.extend(describe_axe_violations(run_axe(page)))

        # print: lay the page out at the width of an A4 page's content area
        page.emulate_media(media="print")
        page.set_viewport_size({"width": A4_CONTENT_WIDTH_PX, "height": A4_CONTENT_HEIGHT_PX})
        layout = page.evaluate(_LAYOUT, A4_CONTENT_WIDTH_PX)
        problems.extend(layout_problems(layout, A4_CONTENT_WIDTH_PX, A4_CONTENT_HEIGHT_PX))
    finally:
        context.close()

    for url in requests:
        if urlparse(url).scheme not in ALLOWED_SCHEMES:
            problems.append(f"network request: {url}")
    problems.extend(console_errors)
    return problems


_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
_PAGE_COUNT = re.compile(rb"/Type\s*/Pages\b.*?/Count\s+(\d+)", re.DOTALL)


def pdf_page_count(pdf_path: Path) -> int:
    """Pages in a PDF written by Chromium (its page objects are not compressed)."""
    data = Path(pdf_path).read_bytes()
    counts = [int(c) for c in _PAGE_COUNT.findall(data)]
    return max(counts) if counts else len(_PAGE_OBJECT.findall(data))


def pdf_page_sizes_mm(pdf_path: Path) -> list[tuple[float, float]]:
    """Width and height (mm) of each page's MediaBox."""
    boxes = re.findall(
        rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]",
        Path(pdf_path).read_bytes(),
    )
    return [
        (
            round((float(x1) - float(x0)) * 25.4 / 72, 1),
            round((float(y1) - float(y0)) * 25.4 / 72, 1),
        )
        for x0, y0, x1, y1 in boxes
    ]


# --- the sample report ---------------------------------------------------------------------

SAMPLE_TITLE = "EBSA support pilot: sample report"
SAMPLE_ALT_START = "Dumbbell chart of attendance before and after support"


def sample_notebook_node() -> nbformat.NotebookNode:
    """A tiny report notebook in the shape of the real ones (not executed)."""
    md = nbformat.v4.new_markdown_cell
    code = nbformat.v4.new_code_cell
    cells = [
        code(
            'term = "2023-24-autumn"\naudience = "commissioner"',
            metadata={"tags": ["parameters"]},
        ),
        md(f"# {SAMPLE_TITLE}\n\nTerm: autumn 2023-24. Synthetic data for testing the template."),
        md(
            "## At a glance\n\n- Attendance of the 6 young people with a follow-up rose from "
            "58% to 85%.\n- 2 referred young people have no follow-up yet."
        ),
        code(
            textwrap.dedent("""\
            import io
            import warnings

            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
            import pandas as pd
            from IPython.display import HTML, Image, display

            warnings.warn("this warning goes to stderr and must not reach the report")
            schools = ["Oak", "Ash", "Elm", "Yew", "Fir", "Bay"]
            before = [52, 61, 48, 66, 57, 64]
            after = [83, 88, 80, 90, 84, 85]
            """)
        ),
        md("## Attendance\n\n### Before and after, by school"),
        code(
            textwrap.dedent("""\
            table = pd.DataFrame(
                {"School": schools, "Before (%)": before, "After (%)": after,
                 "Change (points)": [a - b for a, b in zip(after, before)]}
            )
            table.loc[len(table)] = ["Pine (fewer than 5 pupils)", "c", "c", "c"]
            display(HTML(table.to_html(index=False, border=1)))
            """)
        ),
        md("### Chart"),
        code(
            textwrap.dedent(f"""\
            fig, ax = plt.subplots(figsize=(7, 3.5), dpi=100)
            for y, (b, a) in enumerate(zip(before, after)):
                ax.plot([b, a], [y, y], color="#12436D", linewidth=2)
            ax.scatter(before, range(6), color="#F46A25", label="Before", zorder=3)
            ax.scatter(after, range(6), color="#12436D", label="After", zorder=3)
            ax.set_yticks(range(6), schools)
            ax.set_xlabel("Attendance (%)")
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, frameon=False)
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", bbox_inches="tight")
            plt.close(fig)
            pairs = zip(schools, before, after)
            alt = ("{SAMPLE_ALT_START} in 6 schools: "
                   + "; ".join(f"{{s}} {{b}}% to {{a}}%" for s, b, a in pairs))
            display(Image(buffer.getvalue(), metadata={{"alt": alt}}))
            """)
        ),
        md(
            "## Methods and caveats\n\nA before-and-after design cannot separate the support "
            "from regression to the mean. Counts below 5 are shown as `c`, as in the "
            "[DfE statistics guidance](https://www.gov.uk/government/publications/"
            "standards-for-official-statistics-published-by-the-department-for-education)."
        ),
        code('print("Report produced by dspl-eval (sample)")'),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def execute_sample_notebook(workdir: Path) -> nbformat.NotebookNode:
    """Write the sample notebook and run it with papermill, like the runner does."""
    import papermill

    workdir.mkdir(parents=True, exist_ok=True)
    source = workdir / "sample.ipynb"
    executed = workdir / "sample.executed.ipynb"
    nbformat.write(sample_notebook_node(), source)
    papermill.execute_notebook(
        str(source),
        str(executed),
        parameters={"term": "2023-24-spring"},
        kernel_name="python3",
        language="python",
        progress_bar=False,
        log_output=False,
        start_timeout=60,
        execution_timeout=120,
        cwd=str(workdir),
    )
    return nbformat.read(executed, as_version=4)


def build_sample_report(out_dir: Path, executed: nbformat.NotebookNode | None = None) -> Path:
    """``out_dir/sample.html``: the sample notebook executed and exported (our template)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if executed is None:
        executed = execute_sample_notebook(out_dir / "work")
    html_path = out_dir / "sample.html"
    html_path.write_text(notebook_to_html(executed), encoding="utf-8")
    return html_path


def report_files(reports_dir: Path) -> list[Path]:
    """Every report page under ``reports_dir`` (recursively), sorted."""
    return sorted(p for p in Path(reports_dir).rglob("*.html") if p.is_file())


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sample_notebook(tmp_path_factory: pytest.TempPathFactory) -> nbformat.NotebookNode:
    """The sample report notebook, executed with papermill (once per session/worker)."""
    return execute_sample_notebook(tmp_path_factory.mktemp("sample-notebook"))


@pytest.fixture(scope="session")
def reports_dir(demo_run) -> Path:
    """The directory of reports the browser tests check: every commissioner report and
    index page of the three demo terms (built once by the ``demo_run`` fixture)."""
    return demo_run.reports


@pytest.fixture(scope="session")
def browser_tools() -> None:
    """Skip (or, with CI=true, fail) when Chromium, axe-core or Playwright is missing."""
    require_browser_tools()


@pytest.fixture(scope="session")
def browser(browser_tools: None) -> Iterator[Any]:
    """One headless Chromium shared by the browser tests of a session."""
    with launched_browser() as launched:
        yield launched
