"""Executed notebook → offline HTML report → PDF.

- :func:`html_exporter` — one configured nbconvert ``HTMLExporter`` (cached per process)
  using our ``offline`` template (``dspl_eval/templates/offline``): no code, no prompts,
  no stderr, no scripts or CDN loads, inlined CSS, charts embedded, alt text kept.
- :func:`notebook_to_html` — an executed notebook to the HTML of a report; refuses (raises
  :class:`~dspl_eval.errors.DisclosureError`) to return a page that would load anything
  from the network.
- :func:`write_pdf` — print a report to PDF with headless Chromium, Chrome or Edge
  (:func:`find_chromium`).
- :func:`find_external_resources` — the network loads an HTML page would make (used by the
  above and by the tests).
- :func:`report_css` — the house style, for pages made without nbconvert (the index).
- :func:`chart_attribute` — a chart's ``dspl-chart`` metadata as the value of the
  ``<img data-dspl-chart="...">`` attribute (JSON, HTML-escaped), for the audit.

Page metadata: the template writes ``<meta name="dspl-eval-edition|term|threshold|
initiative|data-fingerprint" content="...">`` from ``nb.metadata["dspl_eval"]`` (set by
:mod:`dspl_eval.runner`); a notebook without it gets none.
"""

from __future__ import annotations

import contextlib
import functools
import html as html_module
import json
import logging
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from html.parser import HTMLParser
from pathlib import Path

from nbconvert import HTMLExporter
from nbformat import NotebookNode

from dspl_eval.errors import DisclosureError, DsplEvalError

__all__ = [
    "TEMPLATE_DIR",
    "TEMPLATE_NAME",
    "chart_attribute",
    "find_chromium",
    "find_external_resources",
    "html_exporter",
    "notebook_title",
    "notebook_to_html",
    "report_css",
    "write_pdf",
]

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "offline"
TEMPLATE_DIR = TEMPLATES_DIR / TEMPLATE_NAME
LANGUAGE = "en-GB"

PDF_TIMEOUT_SECONDS = 120.0

_lock = threading.Lock()  # an HTMLExporter re-registers filters on each call: not thread-safe


@functools.cache
def html_exporter() -> HTMLExporter:
    """The configured exporter (one per process; reuse it — building one costs ~0.1 s)."""
    if not (TEMPLATE_DIR / "index.html.j2").is_file():
        raise DsplEvalError(
            f"the offline report template is missing from {TEMPLATE_DIR}; "
            "reinstall dspl-eval (pip install -e .)"
        )
    exporter = HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_output_stdin=True,
        exclude_anchor_links=True,  # the "¶" links after headings read badly aloud
        embed_images=True,  # local images in markdown cells become data: URIs
        sanitize_html=False,  # our own notebooks' outputs (pandas tables with <style>)
    )
    exporter.register_filter("dspl_chart_attribute", chart_attribute)
    exporter.register_filter("dspl_meta_tags", meta_tags)
    # cells tagged like this never reach a report (standard Jupyter Book / nbconvert tags)
    exporter.register_preprocessor(_tag_remover(), enabled=True)
    return exporter


#: ``nb.metadata["dspl_eval"]`` keys written as ``<meta name="dspl-eval-...">``, in order
META_KEYS = ("edition", "term", "threshold", "initiative", "data_fingerprint")


def meta_tags(metadata: object) -> str:
    """The ``<meta name="dspl-eval-...">`` tags for a notebook's ``dspl_eval`` metadata."""
    if not isinstance(metadata, dict):
        return ""
    tags = []
    for key in META_KEYS:
        value = metadata.get(key)
        if value is None:
            continue
        name = "dspl-eval-" + key.replace("_", "-")
        tags.append(f'<meta name="{name}" content="{html_module.escape(str(value))}">')
    return "\n".join(tags)


def _plain_json(value: object) -> object:
    """NaN and infinities (not JSON) become null; containers are walked."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_json(v) for v in value]
    return value


def chart_attribute(chart: object) -> str:
    """``data-dspl-chart="..."`` for an image whose metadata carries ``dspl-chart``;
    "" without one. The value is ``json.dumps`` of the metadata, HTML-escaped."""
    if chart is None or chart == "":
        return ""
    text = json.dumps(_plain_json(chart), ensure_ascii=False, default=str)
    return f' data-dspl-chart="{html_module.escape(text, quote=True)}"'


def _tag_remover():
    from nbconvert.preprocessors import TagRemovePreprocessor

    return TagRemovePreprocessor(
        remove_cell_tags={"remove-cell", "remove_cell"},
        remove_all_outputs_tags={"remove-output", "remove_output"},
        enabled=True,
    )


def report_css() -> str:
    """The reports' house style (screen and print), for pages not made by nbconvert (e.g.
    the index page) to inline in a ``<style>`` element."""
    return (TEMPLATE_DIR / "static" / "report.css").read_text(encoding="utf-8")


_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_MARKUP = re.compile(r"[*_`]|\[([^\]]*)\]\([^)]*\)|<[^>]+>")


def notebook_title(nb: NotebookNode) -> str | None:
    """``metadata.title``, else the text of the first Markdown heading, else ``None``."""
    title = str(nb.metadata.get("title") or "").strip()
    if title:
        return title
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        match = _HEADING.search(cell.source)
        if match:
            text = _MARKUP.sub(lambda m: m.group(1) or "", match.group(1)).strip()
            if text:
                return text
    return None


def notebook_to_html(nb: NotebookNode, title: str | None = None) -> str:
    """The offline HTML report for an executed notebook (the notebook is not modified).

    ``title`` sets the page ``<title>``; by default it is the notebook's ``metadata.title``
    or its first heading. Raises :class:`DisclosureError` if the page would load anything
    from the network (e.g. a Markdown image from a web address).
    """
    resources = {
        "dspl_title": title or notebook_title(nb) or "dspl-eval report",
        "dspl_lang": LANGUAGE,
    }
    exporter = html_exporter()
    with _lock:
        html, _ = exporter.from_notebook_node(nb, resources=resources)
    external = find_external_resources(html)
    if external:
        shown = ", ".join(external[:5]) + (" ..." if len(external) > 5 else "")
        raise DisclosureError(
            f"the report would load {len(external)} resource(s) from the network: {shown}; "
            "embed images (data: URIs) and remove remote scripts, styles and fonts"
        )
    missing_alt = html.count(' alt=""')
    if missing_alt:
        log.warning(
            "%d image(s) in %r have no alt text: display charts with "
            'IPython.display.Image(png, metadata={"alt": text})',
            missing_alt,
            resources["dspl_title"],
        )
    return html


# --- offline check --------------------------------------------------------------------

#: a URL that leaves the machine: http(s), protocol-relative, ftp, ws(s)
_REMOTE = re.compile(r"^\s*(?:(?:https?|ftp|wss?):)?//", re.IGNORECASE)
_CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)""", re.IGNORECASE | re.DOTALL)
_CSS_IMPORT = re.compile(r"""@import\s+(?:url\(\s*)?(['"]?)([^'")\s;]+)""", re.IGNORECASE)

# attributes whose URL the browser fetches by itself (links, <a href>, are not loads)
_LOADING_ATTRS = {
    "script": ("src",),
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "iframe": ("src",),
    "frame": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "audio": ("src",),
    "video": ("src", "poster"),
    "track": ("src",),
    "input": ("src",),
    "image": ("href", "xlink:href"),
    "use": ("href", "xlink:href"),
}
_LINK_LOADS = {"stylesheet", "icon", "preload", "prefetch", "modulepreload", "manifest"}


class _ResourceFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def _check(self, url: str | None) -> None:
        if not url:
            return
        for part in url.split(","):  # srcset: "a.png 1x, b.png 2x"
            candidate = part.strip().split(" ")[0]
            if _REMOTE.match(candidate):
                self.found.append(candidate)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in _LOADING_ATTRS.get(tag, ()):
            self._check(values.get(name))
        if tag == "link":
            rel = set((values.get("rel") or "").lower().split())
            if rel & _LINK_LOADS or not rel:
                self._check(values.get("href"))
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh":
            content = values.get("content") or ""
            self._check(content.partition("url=")[2] or content.partition("URL=")[2])
        if values.get("style"):
            self._css(values["style"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._css(data)

    def _css(self, css: str) -> None:
        for match in _CSS_URL.finditer(css):
            self._check(match.group(2))
        for match in _CSS_IMPORT.finditer(css):
            self._check(match.group(2))


def find_external_resources(html: str) -> list[str]:
    """URLs the page would fetch from the network (scripts, styles, images, fonts, frames,
    CSS ``url()``/``@import``). Hyperlinks (``<a href>``) are not loads and are ignored."""
    finder = _ResourceFinder()
    finder.feed(html)
    finder.close()
    return finder.found


# --- PDF ------------------------------------------------------------------------------


#: the browser programs :func:`find_chromium` looks for on the PATH, in order
CHROMIUM_NAMES = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
    "msedge",
    "microsoft-edge",
    "microsoft-edge-stable",
)

#: what to install, said when no browser is found
CHROMIUM_INSTALL = (
    "cannot print to PDF: Chromium was not found (nor Google Chrome or Microsoft Edge, on "
    "the PATH or where they are usually installed). Install one: on Windows, Microsoft "
    "Edge (already there on Windows 10 and 11) or Google Chrome from "
    "https://www.google.com/chrome/; on macOS, Google Chrome (or brew install --cask "
    "chromium); on Debian or Ubuntu, sudo apt-get install chromium; or set "
    "DSPL_EVAL_CHROMIUM to the browser program's full path"
)


def _installed_browsers() -> list[Path]:
    """The usual install paths of Chrome, Edge and Chromium on Windows and macOS (and
    Debian's, should the PATH not hold it)."""
    found: list[Path] = [Path("/usr/bin/chromium"), Path("/snap/bin/chromium")]
    if sys.platform == "darwin":
        for root in (Path("/Applications"), Path.home() / "Applications"):
            found += [
                root / "Google Chrome.app/Contents/MacOS/Google Chrome",
                root / "Chromium.app/Contents/MacOS/Chromium",
                root / "Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
            ]
    if os.name == "nt":
        roots = [
            os.environ.get(name)
            for name in ("PROGRAMFILES", "PROGRAMFILES(X86)", "LOCALAPPDATA", "PROGRAMW6432")
        ]
        for root in filter(None, roots):
            found += [
                Path(root) / "Google/Chrome/Application/chrome.exe",
                Path(root) / "Microsoft/Edge/Application/msedge.exe",
                Path(root) / "Chromium/Application/chrome.exe",
            ]
    return found


def find_chromium() -> str | None:
    """Path of a headless-capable Chromium-family browser: ``$DSPL_EVAL_CHROMIUM``; else
    the first of :data:`CHROMIUM_NAMES` on the PATH (chromium, chromium-browser,
    google-chrome, chrome, msedge ...); else the usual Windows and macOS install paths
    (Program Files / Local AppData ``Google/Chrome``, ``Microsoft/Edge``; ``/Applications``
    ``Google Chrome.app``, ``Chromium.app``, ``Microsoft Edge.app``); else ``None`` (and
    :data:`CHROMIUM_INSTALL` says what to install)."""
    override = os.environ.get("DSPL_EVAL_CHROMIUM")
    if override:
        return override if os.path.isfile(override) and os.access(override, os.X_OK) else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    for path in _installed_browsers():
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    return None


def write_pdf(html_path: Path, pdf_path: Path, timeout: float = PDF_TIMEOUT_SECONDS) -> None:
    """Print ``html_path`` to ``pdf_path`` (A4, from the template's print CSS) with headless
    Chromium, with no network and no header/footer. Written atomically.

    Raises :class:`DsplEvalError` when Chromium is missing, fails, times out or writes
    nothing.
    """
    html_path = Path(html_path).resolve()
    pdf_path = Path(pdf_path)
    if not html_path.is_file():
        raise DsplEvalError(f"cannot print {html_path} to PDF: no such file")
    chromium = find_chromium()
    if chromium is None:
        raise DsplEvalError(CHROMIUM_INSTALL)
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=pdf_path.parent, prefix=f".{pdf_path.name}.")
    os.close(handle)
    partial_path = Path(partial)
    try:
        with tempfile.TemporaryDirectory(prefix="dspl-eval-chromium-") as profile:
            _print(chromium, html_path, partial_path, profile, timeout)
        if not partial_path.is_file() or partial_path.stat().st_size == 0:
            raise DsplEvalError(f"Chromium wrote no PDF for {html_path}")
        with partial_path.open("rb") as pdf:
            if pdf.read(5) != b"%PDF-":
                raise DsplEvalError(f"Chromium wrote something that is not a PDF for {html_path}")
        os.replace(partial_path, pdf_path)
    finally:
        partial_path.unlink(missing_ok=True)


def _print(chromium: str, html_path: Path, out: Path, profile: str, timeout: float) -> None:
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-default-apps",
        "--no-first-run",
        "--no-default-browser-check",
        "--mute-audio",
        f"--user-data-dir={profile}",
        "--no-pdf-header-footer",
        f"--print-to-pdf={out}",
        html_path.as_uri(),
    ]
    _run_chromium(command, html_path, timeout, profile)


def _run_chromium(command: list[str], html_path: Path, timeout: float, profile: str) -> None:
    env = dict(os.environ, HOME=profile)  # crash dumps and caches go to the throwaway profile
    try:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=env,
            **_own_group(),  # so a timeout can kill chromium's helper processes too
        )
    except OSError as error:
        raise DsplEvalError(f"cannot start Chromium ({command[0]}): {error}") from error
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as error:
        _kill_group(process)
        raise DsplEvalError(
            f"Chromium took longer than {timeout:.0f} s to print {html_path} to PDF"
        ) from error
    finally:
        _kill_group(process)  # helpers that outlive the browser process
    if process.returncode != 0:
        detail = _last_lines(stderr.decode("utf-8", "replace"))
        raise DsplEvalError(
            f"Chromium failed (exit status {process.returncode}) printing {html_path} "
            f"to PDF: {detail}"
        )


def _own_group() -> dict:
    """Popen arguments that start the browser in a process group of its own (POSIX: a new
    session; Windows: a new process group, since ``start_new_session`` is ignored there)."""
    if os.name == "nt":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}


def _kill_group(process: subprocess.Popen) -> None:
    """End the browser and every helper it started (``os.killpg`` is POSIX only: on Windows
    the process tree is walked with psutil)."""
    if os.name == "nt":
        import psutil

        with contextlib.suppress(psutil.Error):
            parent = psutil.Process(process.pid)
            for child in [*parent.children(recursive=True), parent]:
                with contextlib.suppress(psutil.Error):
                    child.kill()
    else:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired, ValueError):
        process.communicate(timeout=10)


def _last_lines(text: str, count: int = 3) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " | ".join(lines[-count:]) or "no message"
