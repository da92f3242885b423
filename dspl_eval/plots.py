"""The few chart types every report uses, each with alt text generated from its data.

Two kinds of builder (every :class:`Chart` says which in ``kind`` and ``per_person``, and
carries the aggregated table it draws in ``data``, which :func:`to_image` puts into the
image's metadata for the audit):

- **Commissioner charts**, drawn only from aggregated, already-suppressed tables (a
  DataFrame, never one value per person), whose drawn labels and alt text come only from
  that table, and which draw no mark for a ``"c"`` cell and call it "suppressed":
  :func:`means_chart` (means with intervals), :func:`binned_histogram` (bins of 0 or at
  least the threshold, from :func:`histogram_table` / :func:`merge_bins` upstream),
  :func:`category_bars` and :func:`estimate_forest`.
- **Analyst-only charts** with one mark per person (``per_person=True``):
  :func:`before_after` (slope), :func:`reliable_change_scatter` and the raw
  :func:`change_distribution`.

Every function takes already-aggregated or small tidy data (scores, changes or counts;
never names, UPNs or pseudonyms) and returns a :class:`Chart`: a matplotlib
:class:`~matplotlib.figure.Figure`, a title and alt text that says what is plotted, for
how many people and the key numbers, so that a commissioner reading the report with a
screen reader, or on paper, gets the same message as one looking at the chart.

Charts are drawn on :class:`matplotlib.figure.Figure` objects made directly, not with
``pyplot``: no global figure state, no GUI backend, nothing for the notebook's inline
backend to show a second time. PNG output uses matplotlib's Agg renderer whatever
backend is active.

Cost does not grow with the number of children beyond one pass over the data: slope
charts draw at most ``max_lines`` individual lines and scatter plots at most
``max_points`` points (a deterministic subsample spread evenly across the range of
change, said in the alt text), and distributions are histograms.

House style (:data:`HOUSE_STYLE`, :func:`use_house_style`): the UK Government Analysis
Function categorical palette, every colour used for a mark or line at least 3:1 against
white (WCAG 2.x, success criterion 1.4.11), text at 9 pt or more, direct labels instead of
legends, and colour never the only cue (marker shapes, line styles and words as well).

In a notebook::

    from dspl_eval import plots

    chart = plots.before_after(df["attendance_pre"], df["attendance_post"], "attendance")
    plots.display(chart)
"""

from __future__ import annotations

import base64
import contextlib
import functools
import io
import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ParamSpec

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox, blended_transform_factory

if TYPE_CHECKING:
    from IPython.display import Image

__all__ = [
    "DARK_BLUE",
    "DARK_GREY",
    "DARK_PINK",
    "HOUSE_STYLE",
    "LIGHT_PURPLE",
    "MARK_COLOURS",
    "ORANGE",
    "PALETTE",
    "SUPPRESSED_WORDS",
    "TURQUOISE",
    "Chart",
    "before_after",
    "binned_histogram",
    "category_bars",
    "change_distribution",
    "chart_metadata",
    "display",
    "estimate_forest",
    "histogram_table",
    "means_chart",
    "merge_bins",
    "reliable_change_scatter",
    "to_image",
    "to_png",
    "use_house_style",
]

# --------------------------------------------------------------------------- house style

#: UK Government Analysis Function categorical palette, in its recommended order
#: (https://analysisfunction.civilservice.gov.uk/policy-store/data-visualisation-colours-in-charts/).
DARK_BLUE = "#12436D"
TURQUOISE = "#28A197"
DARK_PINK = "#801650"
ORANGE = "#F46A25"
DARK_GREY = "#3D3D3D"
LIGHT_PURPLE = "#A285D1"
PALETTE: tuple[str, ...] = (DARK_BLUE, TURQUOISE, DARK_PINK, ORANGE, DARK_GREY, LIGHT_PURPLE)

#: Text colour (GOV.UK Design System black).
TEXT = "#0B0C0C"
#: Background tints: the no-reliable-change band and grid lines. Areas and guides, not
#: marks that carry data, so they need no 3:1 contrast (their edges are drawn in grey).
BAND = "#E6E6E6"
GRID = "#D9D9D9"

#: Colours used for marks and lines that carry data; each is ≥ 3:1 against white
#: (checked in ``tests/test_plots.py`` with the WCAG relative-luminance formula).
IMPROVED = DARK_BLUE
WORSE = ORANGE
NEUTRAL = DARK_GREY
MARK_COLOURS: tuple[str, ...] = (*PALETTE, TEXT)

#: Printed text is never below this size, in points.
MIN_FONT_SIZE = 9.0

#: DPI of the PNG a report embeds: sharp on screen and paper, small in the HTML.
PNG_DPI = 110
#: White margin around a PNG's content, in inches.
PNG_PAD_INCHES = 0.15

HOUSE_STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.titlepad": 12,
    "axes.labelsize": 10,
    "axes.labelcolor": TEXT,
    "axes.edgecolor": DARK_GREY,
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "axes.facecolor": "white",
    "axes.prop_cycle": mpl.cycler(color=list(PALETTE)),
    "axes.unicode_minus": True,
    "grid.color": GRID,
    "grid.linewidth": 0.8,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "xtick.color": TEXT,
    "ytick.color": TEXT,
    "legend.fontsize": 10,
    "legend.frameon": False,
    "text.color": TEXT,
    "lines.linewidth": 2,
    "figure.facecolor": "white",
    "figure.dpi": PNG_DPI,
    "savefig.dpi": PNG_DPI,
    "savefig.facecolor": "white",
    "savefig.bbox": "tight",
    "image.cmap": "viridis",
}

_P = ParamSpec("_P")


def use_house_style() -> None:
    """Apply :data:`HOUSE_STYLE` to matplotlib (and so seaborn) for this session.

    The chart functions in this module apply the style themselves; call this once at the
    top of a notebook only so that any ad-hoc analyst chart matches them.
    """
    mpl.rcParams.update(HOUSE_STYLE)


def _house_styled(builder: Callable[_P, Chart]) -> Callable[_P, Chart]:
    """Run a chart builder inside ``rc_context(HOUSE_STYLE)``: same look, no global change."""

    @functools.wraps(builder)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> Chart:
        with mpl.rc_context(HOUSE_STYLE):
            return builder(*args, **kwargs)

    return wrapper


# --------------------------------------------------------------------------- the chart object


@dataclass(frozen=True, eq=False)
class Chart:
    """A finished chart, with the aggregated table it draws.

    Attributes
    ----------
    figure : matplotlib.figure.Figure
        The chart, drawn in the house style (not registered with ``pyplot``). Its layout
        and its PNG crop are fixed when the Chart is made (the layout engine is removed),
        so draw everything on the figure before making the Chart.
    alt : str
        Alt text generated from the data shown: the kind of chart, what is plotted, n and
        the key numbers. Goes into the report as the image's ``alt`` attribute.
    title : str
        The chart's title, as drawn on it.
    data : pandas.DataFrame
        The aggregated table the chart draws, as published: counts are ints, or the
        string ``"c"`` where suppressed; estimates are floats; the first column holds the
        labels. :func:`to_image` puts it into the image's metadata for the audit.
    kind : str
        ``"category_bars"``, ``"means"``, ``"histogram"``, ``"forest"``, ``"slope"``,
        ``"scatter"`` or ``"change_distribution"`` (``"custom"`` when made by hand).
    per_person : bool
        True for charts with one mark per person (slope, scatter, raw histogram), which
        are for the analyst edition only. A chart made by hand without saying otherwise
        is treated as per-person (fail closed: the audit cannot vouch for it).
    counts : tuple of str
        The columns of ``data`` that are counts of people.
    """

    figure: Figure
    alt: str
    title: str
    data: pd.DataFrame = field(default_factory=pd.DataFrame)
    kind: str = "custom"
    per_person: bool = True
    counts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.data, pd.DataFrame):
            raise ValueError(f"Chart.data must be a pandas DataFrame; got {type(self.data)}")
        missing = [c for c in self.counts if c not in self.data.columns]
        if missing:
            raise ValueError(f"Chart.counts names column(s) not in data: {', '.join(missing)}")
        # A private copy: changing the caller's frame later cannot change what was drawn.
        object.__setattr__(self, "data", self.data.copy())
        object.__setattr__(self, "counts", tuple(str(c) for c in self.counts))
        object.__setattr__(self, "_png_bbox", _settle(self.figure))

    def _repr_png_(self) -> tuple[str, dict[str, Any]]:
        """Let a bare ``chart`` at the end of a cell show as a PNG with its alt text."""
        return base64.b64encode(to_png(self)).decode("ascii"), _image_metadata(self)

    def __repr__(self) -> str:
        return f"Chart({self.title!r}: {self.alt})"


def _settle(figure: Figure) -> Bbox:
    """Fix a finished figure's layout for good and return its PNG crop, in inches.

    The layout and crop are those the first ``to_png`` used to give, when it took three
    draws of every artist (one here, two in ``savefig(bbox_inches="tight")``): a layout
    pass at the figure's own dpi, a second at :data:`PNG_DPI` (constrained layout does not
    settle in one), then the tight bounding box, padded by :data:`PNG_PAD_INCHES`. The
    layout engine is then removed, so that no later draw moves anything (each pass could
    shift an Axes by a fraction of a pixel, and a chart's second PNG differ from its
    first), and :func:`to_png` draws the figure only to render it.
    """
    canvas = figure.canvas
    if not hasattr(canvas, "get_renderer"):
        # A Figure() made directly has a bare canvas, which makes a new renderer whenever
        # one is asked for, and so measures every text afresh; an Agg canvas keeps its
        # renderer, and text metrics are cached per renderer. Only while settling (as
        # savefig swaps canvases), so that the chart holds no pixel buffer.
        FigureCanvasAgg(figure)
    dpi = figure.dpi
    try:
        _lay_out(figure)  # what the draw that used to settle the figure here did
        figure.dpi = PNG_DPI
        _lay_out(figure)  # what savefig's first draw did
        bbox = figure.get_tightbbox().padded(PNG_PAD_INCHES).frozen()
    finally:
        figure.dpi = dpi
        figure.set_canvas(canvas)
    # set_layout_engine(None) falls back to these rcParams; "none" would leave a
    # placeholder engine, and savefig draws a figure that has an engine once more.
    with mpl.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
        figure.set_layout_engine(None)
    return bbox


def _lay_out(figure: Figure) -> None:
    """One layout pass, as ``Figure.draw`` makes it before drawing."""
    engine = figure.get_layout_engine()
    if engine is not None and figure.axes:
        # As in Figure.draw: a figure too small to lay out is left as it is.
        with contextlib.suppress(ValueError):
            engine.execute(figure)


def _plain(value: Any, count: bool = False) -> Any:
    """A cell as a plain JSON value: int, float, str, bool or None (for missing)."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return int(value) if count and value.is_integer() else value
    return str(value)


def chart_metadata(chart: Chart) -> dict[str, Any]:
    """What :func:`to_image` stores at ``metadata["image/png"]["dspl-chart"]``.

    ``{"kind": ..., "per_person": ..., "columns": [...], "rows": [[...], ...],
    "counts": [...]}``, plain Python types only (``json.dumps`` without a ``default``
    works; missing values are ``None``, never NaN).
    """
    columns = [str(c) for c in chart.data.columns]
    is_count = [c in chart.counts for c in columns]
    rows = [
        [_plain(v, count) for v, count in zip(row, is_count, strict=True)]
        for row in chart.data.itertuples(index=False, name=None)
    ]
    return {
        "kind": str(chart.kind),
        "per_person": bool(chart.per_person),
        "columns": columns,
        "rows": rows,
        "counts": list(chart.counts),
    }


def _image_metadata(chart: Chart) -> dict[str, Any]:
    return {"alt": chart.alt, "dspl-chart": chart_metadata(chart)}


def to_png(chart: Chart, dpi: int = PNG_DPI) -> bytes:
    """Render a chart as PNG bytes.

    Parameters
    ----------
    chart : Chart
    dpi : int, default 110
        Resolution in dots per inch (a 7 × 4 in chart is about 770 × 440 pixels).

    Returns
    -------
    bytes
        A PNG on a white background, cropped to its content (plus
        :data:`PNG_PAD_INCHES`), with no ``Software`` metadata, so the same chart always
        gives the same bytes. At :data:`PNG_DPI` the crop is the one worked out when the
        chart was made, so the figure is drawn once; at another dpi it is measured
        afresh (one draw more).
    """
    figure = chart.figure
    # Given a Bbox and a figure with no layout engine, savefig draws only to render; with
    # "tight" it draws once more to measure. Not at another dpi (text extents depend on
    # it), nor if an Axes has a locator (savefig would call it with no renderer).
    bbox = getattr(chart, "_png_bbox", None)
    if bbox is None or dpi != PNG_DPI or any(ax.get_axes_locator() for ax in figure.axes):
        bbox = "tight"
    buffer = io.BytesIO()
    figure.savefig(
        buffer,
        format="png",
        dpi=dpi,
        bbox_inches=bbox,
        pad_inches=PNG_PAD_INCHES,
        facecolor="white",
        metadata={"Software": None},
    )
    return buffer.getvalue()


def to_image(chart: Chart) -> Image:
    """The chart as an ``IPython.display.Image`` carrying its alt text and its data.

    The alt text is in the image's metadata, so Jupyter stores it at
    ``output.metadata["image/png"]["alt"]`` (where the report template reads it), and it
    is also the image's plain-text form. Beside it, ``"dspl-chart"`` holds
    :func:`chart_metadata` (kind, per_person, the table drawn and its count columns), which
    the export template writes on the ``<img>`` for the audit.
    """
    from IPython.display import Image

    class _AltImage(Image):  # plain-text form = alt text, not "<IPython...Image object>"
        def __repr__(self) -> str:
            return chart.alt

    return _AltImage(data=to_png(chart), format="png", metadata=_image_metadata(chart))


def display(chart: Chart) -> None:
    """Show a chart in a notebook as a PNG whose metadata carries the alt text.

    Displays ``IPython.display.Image(png, metadata={"alt": ..., "dspl-chart": ...})``
    (see :func:`to_image`) and nothing else:
    the figure was never registered with ``pyplot``, so the inline backend has no open
    figure to add a second copy or a ``<Figure size ...>`` line, and the figure is freed
    with the chart.
    """
    from IPython.display import display as ipython_display

    ipython_display(to_image(chart))


# --------------------------------------------------------------------------- data helpers


def _numbers(values: Any, name: str) -> np.ndarray:
    """Values as a float array, missing values (None, NaN, pd.NA) as NaN.

    Raises ValueError naming the argument and the first bad value, rather than silently
    turning text into a missing value.
    """
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    try:
        array = pd.to_numeric(series, errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        bad = next((v for v in series if not _is_number_or_missing(v)), None)
        raise ValueError(f"{name} must hold numbers (or be missing); found {bad!r}") from None
    if np.isinf(array).any():
        raise ValueError(f"{name} must hold finite numbers; found an infinite value")
    return array


def _is_number_or_missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _pairs(pre: Any, post: Any) -> tuple[np.ndarray, np.ndarray, int]:
    """Complete before/after pairs and the number of people missing either score."""
    a, b = _numbers(pre, "pre"), _numbers(post, "post")
    if a.size != b.size:
        raise ValueError(f"pre and post must be the same length; got {a.size} and {b.size}")
    complete = ~(np.isnan(a) | np.isnan(b))
    return a[complete], b[complete], int(a.size - complete.sum())


def _spread_sample(change: np.ndarray, k: int) -> np.ndarray:
    """Indices of at most ``k`` people spread evenly across the range of change.

    Deterministic (no random numbers): sort by change (stable, ties keep their order) and
    take evenly spaced ranks, so the smallest and largest changes are always shown.
    """
    if change.size <= k:
        return np.arange(change.size)
    order = np.argsort(change, kind="stable")
    ranks = np.unique(np.round(np.linspace(0, change.size - 1, k)).astype(int))
    return np.sort(order[ranks])


# --------------------------------------------------------------------------- wording helpers

_SINGULAR = {"children": "child", "young people": "young person", "people": "person"}


def _people(n: int, noun: str) -> str:
    """``'24 children'``, ``'1 child'``, ``'2,400 young people'``."""
    if n == 1:
        word = _SINGULAR.get(noun, noun[:-1] if noun.endswith("s") else noun)
        return f"1 {word}"
    return f"{n:,} {noun}"


def _not_shown(n: int, noun: str, why: str) -> str:
    """`` 2 children without both scores are not shown.`` (with a leading space)."""
    verb = "is" if n == 1 else "are"
    return f" {_sentence_start(_people(n, noun))} {why} {verb} not shown."


def _sentence_start(text: str) -> str:
    return text[:1].upper() + text[1:]


def _decimals(unit: str) -> int:
    return 0 if unit == "%" else 1


def _fmt(value: float, unit: str, decimals: int | None = None, sign: bool = False) -> str:
    """A number for a label: ``58%``, ``12.5 points``, ``+3.0``; minus sign is U+2212."""
    places = _decimals(unit) if decimals is None else decimals
    text = f"{value:+.{places}f}" if sign else f"{value:.{places}f}"
    if text.lstrip("+-") == f"{0:.{places}f}":
        text = text.lstrip("+-")
    text = text.replace("-", "\u2212")
    if unit == "%":
        return text + "%"
    return f"{text} {unit}" if unit else text


def _edge(value: float) -> str:
    """A bin edge as written on the chart: shortest exact form, true minus (``−2.5``)."""
    text = f"{float(value):.10g}"
    if text in ("-0", "+0"):
        text = "0"
    return text.replace("-", "\u2212")


def _change_unit(unit: str) -> str:
    """Unit of a difference: a change in a percentage is in percentage points."""
    return "percentage points" if unit == "%" else unit


def _fmt_change(value: float, unit: str) -> str:
    return _fmt(value, _change_unit(unit), decimals=_decimals(unit), sign=True)


def _axis_label(label: str, unit: str) -> str:
    return f"{_sentence_start(label)} ({unit})" if unit else _sentence_start(label)


def _direction_note(higher_is_better: bool) -> str:
    return "" if higher_is_better else " Lower scores are better."


# --------------------------------------------------------------------------- figure helpers


def _figure(width: float = 7.0, height: float = 4.0) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(width, height), layout="constrained")
    return figure, figure.add_subplot()


def _empty_chart(
    title: str,
    what: str,
    kind: str,
    columns: tuple[str, ...],
    counts: tuple[str, ...],
    per_person: bool = False,
) -> Chart:
    """A chart that says there is nothing to show, with matching alt text and no rows."""
    figure, ax = _figure(7.0, 2.0)
    ax.set_axis_off()
    ax.set_title(title)
    ax.text(0.5, 0.5, "No data to show", ha="center", va="center", fontsize=12)
    return Chart(
        figure=figure,
        alt=f"{what}: no data to show.",
        title=title,
        data=pd.DataFrame({c: pd.Series([], dtype=object) for c in columns}),
        kind=kind,
        per_person=per_person,
        counts=counts,
    )


def _count_frame(label_column: str, labels: list[str], counts: list[int]) -> pd.DataFrame:
    """A two-column table (labels, ``n``) of counts of people, as Python ints."""
    return pd.DataFrame(
        {label_column: labels, "n": pd.Series([int(c) for c in counts], dtype=object)}
    )


def _label_box() -> dict[str, Any]:
    """White backing behind a direct label so lines never run through its text."""
    return {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}


# --------------------------------------------------------------------------- before/after


def _slope_lines(ax: Axes, a: np.ndarray, b: np.ndarray, higher_is_better: bool) -> None:
    """Faint individual lines: solid blue if improved, dashed orange if worse, dotted grey."""
    better = b > a if higher_is_better else b < a
    worse = b < a if higher_is_better else b > a
    same = ~(better | worse)
    for mask, colour, style, alpha in (
        (better, IMPROVED, "solid", 0.35),
        (worse, WORSE, (0, (4, 2)), 0.55),
        (same, NEUTRAL, (0, (1, 2)), 0.45),
    ):
        if mask.any():
            segments = np.stack(
                [
                    np.column_stack([np.zeros(mask.sum()), a[mask]]),
                    np.column_stack([np.ones(mask.sum()), b[mask]]),
                ],
                axis=1,
            )
            ax.add_collection(
                LineCollection(
                    segments, colors=colour, linestyles=style, linewidths=1.2, alpha=alpha
                )
            )


def _slope_key(ax: Axes, counts: dict[str, int], higher_is_better: bool) -> None:
    """Direct key at the right: how many rose, fell, did not change, and how each is drawn."""
    rose_style, fell_style = ("solid", "dashed") if higher_is_better else ("dashed", "solid")
    lines = [
        (f"{counts['rose']:,} rose ({rose_style} lines)", IMPROVED if higher_is_better else WORSE),
        (f"{counts['fell']:,} fell ({fell_style} lines)", WORSE if higher_is_better else IMPROVED),
    ]
    if counts["same"]:
        lines.append((f"{counts['same']:,} no change (dotted)", NEUTRAL))
    for i, (text, colour) in enumerate(lines):
        ax.text(
            1.02,
            0.98 - 0.09 * i,
            text,
            transform=ax.transAxes,
            color=colour,
            fontsize=10,
            fontweight="bold",
            va="top",
            ha="left",
        )


@_house_styled
def before_after(
    pre: Any,
    post: Any,
    label: str,
    unit: str = "%",
    higher_is_better: bool = True,
    *,
    noun: str = "children",
    max_lines: int = 60,
) -> Chart:
    """Paired slope chart: one faint line per person, the means before and after in bold.

    Parameters
    ----------
    pre, post : array-like of float
        One score per person, in ``unit`` (e.g. attendance in %); missing values allowed.
        People missing either score are left out and counted in the alt text.
    label : str
        What was measured, in lower case as it reads mid-sentence (``"attendance"``).
    unit : str, default "%"
        Unit of the scores: ``"%"``, ``"points"`` or ``""`` for none.
    higher_is_better : bool, default True
        Direction of improvement; decides which lines are drawn as improvements (solid
        blue) and which as falls (dashed orange).
    noun : str, default "children"
        Who the people are, plural (``"young people"``, ``"teachers"``).
    max_lines : int, default 60
        Most individual lines drawn. Beyond that a deterministic subsample spread evenly
        across the range of change is drawn (the alt text says so); means and counts
        always use everyone.

    Returns
    -------
    Chart
        Alt text such as "Slope chart of attendance for 24 children with both scores:
        mean 58% before, 85% after; 19 rose, 5 fell."
    """
    a, b, n_missing = _pairs(pre, post)
    title = f"{_sentence_start(label)} before and after"
    if a.size == 0:
        return _empty_chart(
            title, f"Slope chart of {label}", "slope", ("category", "n"), ("n",), True
        )
    n = a.size
    mean_pre, mean_post = float(a.mean()), float(b.mean())
    counts = {"rose": int((b > a).sum()), "fell": int((b < a).sum())}
    counts["same"] = n - counts["rose"] - counts["fell"]
    shown = _spread_sample(b - a, max_lines)

    figure, ax = _figure(7.0, 4.2)
    _slope_lines(ax, a[shown], b[shown], higher_is_better)
    ax.plot(
        [0, 1],
        [mean_pre, mean_post],
        color=TEXT,
        linewidth=3.5,
        marker="o",
        markersize=9,
        markeredgecolor="white",
        markeredgewidth=1.5,
        zorder=5,
    )
    for x, value, side, ha in ((0, mean_pre, "before", "right"), (1, mean_post, "after", "left")):
        offset = -0.06 if ha == "right" else 0.06
        ax.text(
            x + offset,
            value,
            f"Mean {side}\n{_fmt(value, unit)}",
            ha=ha,
            va="center",
            fontsize=11,
            fontweight="bold",
            bbox=_label_box(),
            zorder=6,
        )
    _slope_key(ax, counts, higher_is_better)
    ax.set_xlim(-0.6, 1.5)
    ax.set_xticks([0, 1], ["Before", "After"])
    ax.spines["bottom"].set_visible(False)
    ax.tick_params(axis="x", length=0)
    ax.set_ylabel(_axis_label(label, unit))
    low, high = float(min(a.min(), b.min())), float(max(a.max(), b.max()))
    if unit == "%" and low >= 0 and high <= 100:
        ax.set_ylim(0, 102)
    else:
        pad = (high - low) * 0.05 or 1.0
        ax.set_ylim(low - pad, high + pad)
    ax.yaxis.grid(True)
    ax.set_axisbelow(True)
    ax.set_title(title)

    alt = _before_after_alt(
        label, unit, n, n_missing, mean_pre, mean_post, counts, noun, len(shown)
    )
    data = _count_frame(
        "category",
        ["rose", "fell", "did not change", "without both scores"],
        [counts["rose"], counts["fell"], counts["same"], n_missing],
    )
    return Chart(
        figure=figure,
        alt=alt + _direction_note(higher_is_better),
        title=title,
        data=data,
        kind="slope",
        per_person=True,
        counts=("n",),
    )


def _before_after_alt(
    label: str,
    unit: str,
    n: int,
    n_missing: int,
    mean_pre: float,
    mean_post: float,
    counts: dict[str, int],
    noun: str,
    n_shown: int,
) -> str:
    moves = f"{counts['rose']:,} rose, {counts['fell']:,} fell"
    if counts["same"]:
        moves += f", {counts['same']:,} did not change"
    alt = (
        f"Slope chart of {label} for {_people(n, noun)} with both scores: mean "
        f"{_fmt(mean_pre, unit)} before, {_fmt(mean_post, unit)} after; {moves}."
    )
    if n_shown < n:
        alt += (
            f" Faint lines show {n_shown:,} of the {n:,}, chosen evenly across the range of "
            "change; the means and counts use everyone."
        )
    if n_missing:
        alt += _not_shown(n_missing, noun, "without both scores")
    return alt


# --------------------------------------------------------------------------- change distribution


def _nice_width(raw: float, integer: bool) -> float:
    """Round a bin width up to 1, 2, 2.5 or 5 × 10^k (whole numbers for whole-number data)."""
    if not raw > 0:
        return 1.0
    exponent = math.floor(math.log10(raw))
    steps = (1, 2, 5, 10) if integer and exponent <= 0 else (1, 2, 2.5, 5, 10)
    width = next(s * 10.0**exponent for s in steps if raw <= s * 10.0**exponent * (1 + 1e-9))
    return max(1.0, round(width)) if integer else width


@dataclass(frozen=True)
class _Bars:
    """Histogram bars: ``(centre, width, count, kind)`` with kind ``rose``/``fell``/``same``."""

    centres: np.ndarray
    widths: np.ndarray
    counts: np.ndarray
    kinds: np.ndarray
    integer: bool = False


def _one_side(magnitudes: np.ndarray, start: float, width: float) -> tuple[np.ndarray, ...]:
    """Counts of positive magnitudes in bins ``[start + k·width, start + (k+1)·width)``."""
    if magnitudes.size == 0:
        return np.empty(0), np.empty(0)
    index = np.clip(np.floor((magnitudes - start) / width).astype(int), 0, None)
    counts = np.bincount(index)
    return start + (np.arange(counts.size) + 0.5) * width, counts


def _histogram(values: np.ndarray) -> _Bars:
    """Bars for rises, falls and exact zeros, never mixed in one bar.

    Bin width is "nice" (1, 2, 2.5 or 5 × 10^k; whole numbers for whole-number data)
    for 5–30 bins by Rice's rule. Whole-number data: no change is the bar [−0.5, 0.5],
    rises start at 0.5 and falls at −0.5. Other data: rises and falls start at 0 and
    exact zeros are a narrow grey bar in the gap at 0. One pass over the data.
    """
    integer = bool(np.all(values == np.round(values)))
    target = min(30, max(5, math.ceil(2 * values.size ** (1 / 3))))
    width = _nice_width(float(values.max() - values.min()) / target, integer)
    gap = 0.5 if integer else 0.0
    up_centres, up_counts = _one_side(values[values > 0], gap, width)
    down_centres, down_counts = _one_side(-values[values < 0], gap, width)
    zeros = int((values == 0).sum())
    centres = [up_centres, -down_centres, np.array([0.0] if zeros else [])]
    counts = [up_counts, down_counts, np.array([zeros] if zeros else [])]
    kinds = [["rose"] * up_counts.size, ["fell"] * down_counts.size, ["same"] * int(zeros > 0)]
    widths = [np.full(up_counts.size, width * 0.9), np.full(down_counts.size, width * 0.9)]
    widths.append(np.full(int(zeros > 0), 1.0 if integer else width * 0.1))
    return _Bars(
        np.concatenate(centres),
        np.concatenate(widths),
        np.concatenate(counts).astype(int),
        np.array([k for group in kinds for k in group], dtype=object),
        integer,
    )


def _centre_zero(ax: Axes, bars: _Bars) -> None:
    """x limits with room either side of zero for the direct labels."""
    half = bars.widths.max() / 2
    low = min(0.0, float((bars.centres - half).min()))
    high = max(0.0, float((bars.centres + half).max()))
    room = max(high - low, 1.0) * 0.3
    ax.set_xlim(min(low, -room), max(high, room))


def _side_labels(ax: Axes, counts: dict[str, int], higher_is_better: bool) -> None:
    """Direct labels either side of zero: how many improved, did not change, got worse."""
    left = ("worse", "fell") if higher_is_better else ("improved", "fell")
    right = ("improved", "rose") if higher_is_better else ("worse", "rose")
    words = {"improved": "improved", "worse": "got worse"}
    colours = {"improved": IMPROVED, "worse": WORSE}
    blend = blended_transform_factory(ax.transData, ax.transAxes)
    for (kind, move), ha, offset, arrow in ((left, "right", -1, "\u2190 "), (right, "left", 1, "")):
        text = f"{counts[kind]:,} {words[kind]}\n({move})"
        text = f"{arrow}{text}" if ha == "right" else f"{text} \u2192"
        ax.annotate(
            text,
            xy=(0, 0.97),
            xycoords=blend,
            xytext=(offset * 8, 0),
            textcoords="offset points",
            ha=ha,
            va="top",
            color=colours[kind],
            fontsize=10,
            fontweight="bold",
        )
    ax.annotate(
        f"{counts['same']:,} no change",
        xy=(0, 1.0),
        xycoords=blend,
        xytext=(0, 4),
        textcoords="offset points",
        ha="center",
        va="bottom",
        color=NEUTRAL,
        fontsize=10,
    )


@_house_styled
def change_distribution(
    change: Any,
    label: str,
    unit: str,
    higher_is_better: bool = True,
    *,
    noun: str = "children",
) -> Chart:
    """Histogram of the change (after − before), with zero marked and labelled counts.

    Parameters
    ----------
    change : array-like of float
        One change per person, ``post - pre``, in the unit of the scores; missing values
        are left out (and counted in the alt text).
    label : str
        What was measured, lower case (``"attendance"``, ``"SDQ total difficulties"``).
    unit : str
        Unit of the *scores* (``"%"`` makes the change "percentage points").
    higher_is_better : bool, default True
        Direction of improvement: bars of improvement are blue, of getting worse orange
        and hatched, and the labels say which side is which.
    noun : str, default "children"
        Who the people are, plural.

    Returns
    -------
    Chart
        Alt text with n, the mean and median change and how many improved, did not change
        and got worse. Bins are of equal width, "nice" (1, 2, 2.5 or 5 × 10^k), with zero
        in the middle of a bin; the cost is one pass over the data.
    """
    values = _numbers(change, "change")
    n_missing = int(np.isnan(values).sum())
    values = values[~np.isnan(values)]
    title = f"Change in {label}"
    if values.size == 0:
        return _empty_chart(
            title,
            f"Histogram of the change in {label}",
            "change_distribution",
            ("bin", "bin_low", "bin_high", "n"),
            ("n",),
            True,
        )
    rose, fell = int((values > 0).sum()), int((values < 0).sum())
    counts = {
        "improved": rose if higher_is_better else fell,
        "worse": fell if higher_is_better else rose,
        "same": values.size - rose - fell,
    }

    bars = _histogram(values)
    figure, ax = _figure(7.0, 4.0)
    good, bad = ("rose", "fell") if higher_is_better else ("fell", "rose")
    style = {good: (IMPROVED, None), bad: (WORSE, "///"), "same": (NEUTRAL, None)}
    for kind, (colour, hatch) in style.items():
        mask = bars.kinds == kind
        if mask.any():
            ax.bar(
                bars.centres[mask],
                bars.counts[mask],
                width=bars.widths[mask],
                color=colour,
                hatch=hatch,
                edgecolor="white",
                linewidth=0.5,
            )
    _centre_zero(ax, bars)
    ax.axvline(0, color=TEXT, linewidth=1.5, linestyle=(0, (4, 2)), zorder=4)
    ax.set_ylim(0, max(1, int(bars.counts.max())) * 1.35)
    _side_labels(ax, counts, higher_is_better)
    ax.set_xlabel(f"Change in {label} (after − before{', ' + _change_unit(unit) if unit else ''})")
    ax.set_ylabel(f"Number of {noun}")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(title, pad=22)

    alt = (
        f"Histogram of the change in {label} (after minus before) for "
        f"{_people(values.size, noun)}: mean {_fmt_change(float(values.mean()), unit)}, median "
        f"{_fmt_change(float(np.median(values)), unit)}; {counts['improved']:,} improved, "
        f"{counts['same']:,} did not change, {counts['worse']:,} got worse."
    )
    if n_missing:
        alt += _not_shown(n_missing, noun, "whose change is missing")
    return Chart(
        figure=figure,
        alt=alt + _direction_note(higher_is_better),
        title=title,
        data=_bars_frame(bars),
        kind="change_distribution",
        per_person=True,
        counts=("n",),
    )


def _bars_frame(bars: _Bars) -> pd.DataFrame:
    """The raw histogram's bins as a table (bin, bin_low, bin_high, n), left to right."""
    order = np.argsort(bars.centres, kind="stable")
    rows = []
    for i in order:
        half = float(bars.widths[i]) / 2 / (1.0 if bars.kinds[i] == "same" else 0.9)
        low, high = float(bars.centres[i]) - half, float(bars.centres[i]) + half
        if bars.kinds[i] == "same" and not bars.integer:
            low, high = 0.0, 0.0  # exactly no change: the narrow grey bar at zero
        rows.append((f"{_edge(low)} to {_edge(high)}", low, high, int(bars.counts[i])))
    frame = pd.DataFrame(rows, columns=["bin", "bin_low", "bin_high", "n"])
    frame["n"] = frame["n"].astype(object)
    return frame


# --------------------------------------------------------------------------- reliable change

_RC_CATEGORIES = ("improved", "no reliable change", "deteriorated")


def _rc_style(higher_is_better: bool) -> dict[str, tuple[str, str, str, str]]:
    """(colour, marker, symbol, words) per category; triangles point the way scores moved."""
    rose, fell = ("▲", "^"), ("▼", "v")
    up, down = (rose, fell) if higher_is_better else (fell, rose)
    return {
        "improved": (IMPROVED, up[1], up[0], "Improved"),
        "no reliable change": (NEUTRAL, "o", "●", "No reliable change"),
        "deteriorated": (WORSE, down[1], down[0], "Deteriorated"),
    }


def _rc_categories(a: np.ndarray, b: np.ndarray, threshold: float, higher: bool) -> np.ndarray:
    """Category per person; reliable when ``|post − pre| > threshold`` (as ``stats``)."""
    up, down = b - a > threshold, b - a < -threshold
    better, worse = (up, down) if higher else (down, up)
    return np.where(better, "improved", np.where(worse, "deteriorated", "no reliable change"))


def _rc_band(ax: Axes, limits: tuple[float, float], threshold: float) -> None:
    x = np.array(limits)
    ax.fill_between(x, x - threshold, x + threshold, color=BAND, linewidth=0, zorder=0)
    for edge in (-threshold, threshold):
        ax.plot(x, x + edge, color=NEUTRAL, linewidth=0.8, linestyle=(0, (1, 2)), zorder=1)
    ax.plot(x, x, color=NEUTRAL, linewidth=1.2, linestyle=(0, (5, 3)), zorder=1)


def _rc_labels(ax: Axes, counts: dict[str, int], higher_is_better: bool) -> None:
    """Counts in the region they describe (above, below the band); the band's count on top."""
    above, below = (
        ("improved", "deteriorated") if higher_is_better else ("deteriorated", "improved")
    )
    for category, x, y, ha, va in (
        (above, 0.03, 0.97, "left", "top"),
        (below, 0.97, 0.03, "right", "bottom"),
    ):
        colour, _, symbol, words = _rc_style(higher_is_better)[category]
        ax.text(
            x,
            y,
            f"{symbol} {words}: {counts[category]:,}",
            transform=ax.transAxes,
            ha=ha,
            va=va,
            color=colour,
            fontsize=10.5,
            fontweight="bold",
            bbox=_label_box(),
        )
    ax.text(
        0.0,
        1.02,
        f"\u25cf No reliable change (inside the grey band): {counts['no reliable change']:,}",
        transform=ax.transAxes,
        ha="left",
        va="bottom",
        color=NEUTRAL,
        fontsize=10,
        fontweight="bold",
    )


@_house_styled
def reliable_change_scatter(
    pre: Any,
    post: Any,
    threshold: float,
    label: str,
    higher_is_better: bool = True,
    *,
    unit: str = "",
    noun: str = "children",
    max_points: int = 1000,
) -> Chart:
    """Before (x) against after (y), with the line of no change and the no-reliable-change band.

    Parameters
    ----------
    pre, post : array-like of float
        One score per person; people missing either score are left out (and counted).
    threshold : float
        Smallest reliable change in score points (``stats.reliable_change_threshold``,
        1.96 · S_diff); a change counts as reliable when ``|post − pre| > threshold``.
    label : str
        What was measured, lower case.
    higher_is_better : bool, default True
        Direction of improvement (pass False for difficulties scores such as the SDQ).
    unit : str, default ""
        Unit of the scores, for the axis labels and the band's width in the alt text.
    noun : str, default "children"
        Who the people are, plural.
    max_points : int, default 1000
        Most points drawn; beyond that a deterministic subsample spread evenly across the
        range of change (said in the alt text). Counts always use everyone.

    Returns
    -------
    Chart
        Improved ▲ blue, no reliable change ● grey, deteriorated ▼ orange; counts written
        on the chart and in the alt text.
    """
    try:
        band = float(threshold)
    except (TypeError, ValueError):
        raise ValueError(f"threshold must be a positive number; got {threshold!r}") from None
    if not (math.isfinite(band) and band > 0):
        raise ValueError(f"threshold must be a positive number; got {threshold!r}")
    a, b, n_missing = _pairs(pre, post)
    title = f"Reliable change in {label}"
    if a.size == 0:
        return _empty_chart(
            title,
            f"Scatter plot of {label} before and after",
            "scatter",
            ("category", "n"),
            ("n",),
            True,
        )
    category = _rc_categories(a, b, band, higher_is_better)
    counts = {name: int((category == name).sum()) for name in _RC_CATEGORIES}
    shown = _spread_sample(b - a, max_points)

    figure, ax = _figure(6.2, 5.6)
    low, high = float(min(a.min(), b.min())), float(max(a.max(), b.max()))
    pad = max((high - low) * 0.08, band * 0.5)
    limits = (low - pad, high + pad)
    _rc_band(ax, limits, band)
    for name, (colour, marker, _, _) in _rc_style(higher_is_better).items():
        mask = category[shown] == name
        ax.scatter(
            a[shown][mask],
            b[shown][mask],
            s=42,
            marker=marker,
            color=colour,
            alpha=0.8,
            edgecolors="white",
            linewidths=0.5,
            zorder=3,
        )
    _rc_labels(ax, counts, higher_is_better)
    ax.set_xlim(limits)
    ax.set_ylim(limits)
    ax.set_aspect("equal")
    ax.set_xlabel(_axis_label(f"{label} before", unit))
    ax.set_ylabel(_axis_label(f"{label} after", unit))
    ax.set_title(title, pad=24)

    alt = (
        f"Scatter plot of {label} before (across) and after (up) for "
        f"{_people(a.size, noun)}, with the line of no change and a band of ±"
        f"{_fmt(band, unit, decimals=1)} within which a change is not reliable: "
        f"{counts['improved']:,} improved, {counts['no reliable change']:,} no reliable "
        f"change, {counts['deteriorated']:,} deteriorated."
    )
    if len(shown) < a.size:
        alt += (
            f" Points show {len(shown):,} of the {a.size:,}, chosen evenly across the "
            "range of change; the counts use everyone."
        )
    if n_missing:
        alt += _not_shown(n_missing, noun, "without both scores")
    data = _count_frame(
        "category",
        [*_RC_CATEGORIES, "without both scores"],
        [*(counts[c] for c in _RC_CATEGORIES), n_missing],
    )
    return Chart(
        figure=figure,
        alt=alt + _direction_note(higher_is_better),
        title=title,
        data=data,
        kind="scatter",
        per_person=True,
        counts=("n",),
    )


# --------------------------------------------------------------------------- category bars


def _cell(value: Any, where: str) -> float | str:
    """A count cell: a number, ``"c"`` (suppressed) or NaN (missing). Anything else raises."""
    if isinstance(value, str):
        text = value.strip()
        if text.lower() == "c":
            return "c"
        if not _is_number_or_missing(text):
            raise ValueError(f"{where} must be a count or 'c'; found {value!r}")
        value = text
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    if not _is_number_or_missing(value):
        raise ValueError(f"{where} must be a count or 'c'; found {value!r}")
    number = float(value)
    if math.isinf(number) or number < 0:
        raise ValueError(f"{where} must be a count of 0 or more; found {value!r}")
    return number


def _count_text(value: float | str, alt: bool = False, reason: str | None = None) -> str:
    """A count as drawn (``12``, ``c``) or as said in alt text (``12``, ``suppressed``)."""
    if value == "c":
        return (reason or SUPPRESSED_WORDS) if alt else "c"
    if isinstance(value, float) and math.isnan(value):
        return "no data"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


#: What alt text says for a ``"c"`` cell when the table gives no reason. Not "fewer than
#: 5": a cell hidden only to protect another (secondary suppression) is not small.
SUPPRESSED_WORDS = "suppressed"


def _reason_words(reason: Any, where: str) -> str:
    """A caller's words for why a cell is hidden, checked to carry no number."""
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError(f"{where}: a reason must be non-empty text; got {reason!r}")
    if any(ch.isdigit() for ch in reason):
        raise ValueError(
            f"{where}: a reason may not contain digits (alt text carries only the table's "
            f"numbers); got {reason!r}"
        )
    return reason.strip()


def _published(value: float | str) -> Any:
    """A count cell as published in ``Chart.data``: int, ``"c"`` or None (missing)."""
    if value == "c":
        return "c"
    if isinstance(value, float) and math.isnan(value):
        return None
    return int(value) if float(value).is_integer() else float(value)


def _column_name(name: Any) -> str:
    """Column name as it reads mid-sentence: ``'Before'`` → ``'before'``, ``'KS2'`` kept."""
    text = str(name)
    return text if any(ch.isupper() for ch in text[1:]) else text[:1].lower() + text[1:]


def _hide_count_ticks(axis: Any) -> None:
    """No scale on an axis of counts: every bar carries its count, so the only numbers
    drawn are the table's (no tick at a value the table does not hold)."""
    axis.set_ticks([])


@_house_styled
def category_bars(
    table: pd.DataFrame,
    label: str,
    *,
    noun: str = "children",
    suppression_threshold: int = 5,
    reasons: Mapping[tuple[Any, Any], str] | None = None,
    title: str | None = None,
) -> Chart:
    """Before/after bars of counts per category, each bar labelled with its period and count.

    Safe for the commissioner edition when ``table`` is the published (suppressed) table:
    everything drawn and said comes from it.

    Parameters
    ----------
    table : pandas.DataFrame
        Counts (number of people), already suppressed: one row per category (the index,
        e.g. SDQ bands or ``"Persistently absent"`` / ``"Not persistently absent"``), one
        column per period (e.g. ``"Before"``, ``"After"``), in the order to show. A cell
        may be ``"c"`` (DfE suppression symbol): drawn as no bar with a ``c`` label and
        described as "suppressed" in the alt text (or in the words ``reasons`` gives).
        Missing cells are labelled "no data".
    label : str
        What is counted, lower case (``"SDQ band"``).
    noun : str, default "children"
        Who is counted, plural (for the axis label).
    suppression_threshold : int, default 5
        Kept for callers; the wording no longer names it (a cell may be hidden to protect
        another, so "fewer than 5" would be wrong).
    reasons : mapping of (category, period) to str, optional
        Words for a ``"c"`` cell's alt text instead of "suppressed", e.g.
        ``{("High", "After"): "suppressed to protect another cell"}``. No digits.
    title : str, optional
        The chart's title (default ``"<label> before and after"``).

    Returns
    -------
    Chart
        Horizontal bars (``kind="category_bars"``, ``data`` = the table with its index as
        the first column, every period column a count); the alt text lists every
        category's counts per period, and nothing that is not in the table (no totals).
    """
    del suppression_threshold  # wording no longer depends on it (see above)
    if not isinstance(table, pd.DataFrame):
        raise ValueError(
            f"category_bars: table must be a pandas DataFrame; got {type(table).__name__}"
        )
    title = title or f"{_sentence_start(label)} before and after"
    cells = [
        [
            _cell(
                table.iat[i, j],
                f"category_bars: cell ({table.index[i]!r}, {table.columns[j]!r})",
            )
            for j in range(table.shape[1])
        ]
        for i in range(table.shape[0])
    ]
    categories, periods = [str(c) for c in table.index], [str(c) for c in table.columns]
    first = str(table.index.name) if table.index.name is not None else "category"
    if first in periods:
        first = f"{first} (category)"
    data = pd.DataFrame(
        {
            first: categories,
            **{
                period: pd.Series([_published(row[j]) for row in cells], dtype=object)
                for j, period in enumerate(periods)
            },
        }
    )
    words = _cell_reasons(reasons, table, cells)
    if all(isinstance(v, float) and math.isnan(v) for row in cells for v in row):
        return _empty_chart(
            title,
            f"Bar chart of {label}",
            "category_bars",
            (first, *periods),
            tuple(periods),
        )

    figure, ax = _figure(7.0, 0.9 + 0.45 * len(categories) * max(2, len(periods)) * 0.75)
    _draw_category_bars(ax, cells, periods)
    ax.set_yticks(np.arange(len(categories)), categories)
    ax.invert_yaxis()
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.set_xlabel(f"Number of {noun}")
    _hide_count_ticks(ax.xaxis)
    ax.set_title(title)

    alt = _category_alt(label, categories, periods, cells, words)
    return Chart(
        figure=figure,
        alt=alt,
        title=title,
        data=data,
        kind="category_bars",
        per_person=False,
        counts=tuple(periods),
    )


def _cell_reasons(
    reasons: Mapping[tuple[Any, Any], str] | None,
    table: pd.DataFrame,
    cells: list[list[float | str]],
) -> dict[tuple[int, int], str]:
    """``reasons`` by (row, column) position, only for ``"c"`` cells; checked."""
    if not reasons:
        return {}
    rows = {str(k): i for i, k in enumerate(table.index)}
    columns = {str(k): j for j, k in enumerate(table.columns)}
    out = {}
    for (row, column), reason in reasons.items():
        where = f"category_bars: reason for ({row!r}, {column!r})"
        if str(row) not in rows or str(column) not in columns:
            raise ValueError(f"{where}: no such cell")
        i, j = rows[str(row)], columns[str(column)]
        if cells[i][j] != "c":
            raise ValueError(f"{where}: the cell is not suppressed")
        out[(i, j)] = _reason_words(reason, where)
    return out


def _draw_category_bars(ax: Axes, cells: list[list[float | str]], periods: list[str]) -> None:
    numbers = [v for row in cells for v in row if not isinstance(v, str) and not math.isnan(v)]
    top = max(numbers, default=0.0) or 1.0
    height = 0.8 / len(periods)
    for i, row in enumerate(cells):
        for j, value in enumerate(row):
            y = i - 0.4 + height * (j + 0.5)
            colour = PALETTE[j % len(PALETTE)]
            drawn = 0.0 if isinstance(value, str) or math.isnan(value) else value
            if drawn:
                ax.barh(y, drawn, height=height * 0.9, color=colour)
            ax.text(
                drawn + top * 0.015,
                y,
                f"{periods[j]}: {_count_text(value)}",
                va="center",
                ha="left",
                fontsize=10,
                color=TEXT,
            )
    ax.set_xlim(0, top * 1.3)


def _category_alt(
    label: str,
    categories: list[str],
    periods: list[str],
    cells: list[list[float | str]],
    reasons: dict[tuple[int, int], str],
) -> str:
    names = [_column_name(p) for p in periods]
    parts = [
        f"{category}: "
        + ", ".join(
            f"{name} {_count_text(value, alt=True, reason=reasons.get((i, j)))}"
            for j, (name, value) in enumerate(zip(names, row, strict=True))
        )
        for i, (category, row) in enumerate(zip(categories, cells, strict=True))
    ]
    return (
        f"Bar chart of {label} ({' and '.join(names)}), number in each category. "
        + "; ".join(parts)
        + "."
    )


# --------------------------------------------------------------------------- forest plot

_FOREST_COLUMNS = ("outcome", "estimate", "lower_ci", "upper_ci")


def _is_c(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() == "c"


def _forest_rows(table: pd.DataFrame) -> list[tuple[str, float | str, float, float]]:
    """(outcome, estimate or "c", lower, upper) per row; "c" anywhere suppresses the row
    (a "c" in an ``n`` column too: an interval's width would give its n away)."""
    missing = [c for c in _FOREST_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(
            f"estimate_forest: table lacks column(s) {', '.join(missing)}; "
            f"found {', '.join(map(str, table.columns)) or 'none'}"
        )
    columns = [*_FOREST_COLUMNS, *(["n"] if "n" in table.columns else [])]
    rows = []
    for i, record in enumerate(table.loc[:, columns].itertuples(index=False)):
        outcome, *numbers = record
        if any(_is_c(v) for v in numbers):
            rows.append((str(outcome), "c", math.nan, math.nan))
            continue
        estimate, lower, upper = (
            float(_numbers([v], f"row {i} ({outcome!r}) {col}")[0])
            for v, col in zip(numbers[:3], _FOREST_COLUMNS[1:], strict=True)
        )
        rows.append((str(outcome), estimate, lower, upper))
    return rows


def _forest_data(
    table: pd.DataFrame, rows: list[tuple[str, float | str, float, float]], threshold: int
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The forest's table as published: a suppressed row is "c" in every number."""
    data: dict[str, list[Any]] = {
        "outcome": [r[0] for r in rows],
        "estimate": [r[1] if r[1] == "c" else _plain(r[1]) for r in rows],
        "lower_ci": ["c" if r[1] == "c" else _plain(r[2]) for r in rows],
        "upper_ci": ["c" if r[1] == "c" else _plain(r[3]) for r in rows],
    }
    if "confidence_level" in table.columns:
        data["confidence_level"] = [
            _plain(float(v)) if _is_number_or_missing(v) else None
            for v in table["confidence_level"]
        ]
    counts: tuple[str, ...] = ()
    if "n" in table.columns:
        cells = [
            _cell(v, f"estimate_forest: n of {r[0]!r}")
            for v, r in zip(table["n"], rows, strict=True)
        ]
        _check_counts(cells, threshold, "estimate_forest", [r[0] for r in rows])
        data["n"] = [
            "c" if r[1] == "c" else _published(c) for c, r in zip(cells, rows, strict=True)
        ]
        counts = ("n",)
    frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in data.items()})
    return frame, counts


def _forest_text(
    row: tuple[str, float | str, float, float], unit: str, alt: bool, reason: str | None = None
) -> str:
    _, estimate, lower, upper = row
    if estimate == "c":
        return (reason or SUPPRESSED_WORDS) if alt else "c"
    if math.isnan(estimate):
        return "no estimate"
    text = _fmt(estimate, unit, decimals=1, sign=True)
    if math.isnan(lower) or math.isnan(upper):
        return text
    interval = f"{_fmt(lower, '', 1, True)} to {_fmt(upper, '', 1, True)}"
    return f"{text} ({'CI ' if alt else ''}{interval})"


def _row_reasons(
    reasons: Mapping[Any, str] | None, labels: list[str], suppressed: list[bool], who: str
) -> dict[int, str]:
    """``reasons`` (by row label) by row position, only for suppressed rows; checked."""
    out: dict[int, str] = {}
    for key, reason in (reasons or {}).items():
        where = f"{who}: reason for {key!r}"
        if str(key) not in labels:
            raise ValueError(f"{where}: no such row")
        i = labels.index(str(key))
        if not suppressed[i]:
            raise ValueError(f"{where}: the row is not suppressed")
        out[i] = _reason_words(reason, where)
    return out


@_house_styled
def estimate_forest(
    table: pd.DataFrame,
    label: str,
    *,
    unit: str = "",
    null_value: float = 0.0,
    null_label: str = "no change",
    suppression_threshold: int = 5,
    reasons: Mapping[str, str] | None = None,
) -> Chart:
    """Point estimates with confidence intervals for several outcomes or items.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per outcome, in the order to show, with columns ``outcome``,
        ``estimate``, ``lower_ci``, ``upper_ci`` (e.g. mean change with its CI, in the
        outcome's unit) and optionally ``confidence_level`` (e.g. 0.95) and ``n`` (number
        of people behind the estimate: 0, at least ``suppression_threshold``, or
        ``"c"``). A ``"c"`` in a row's numbers marks it suppressed; a missing estimate is
        labelled "no estimate".
    label : str
        What the estimates are, lower case (``"change in PASS factors"``).
    unit : str, default ""
        Unit of the estimates, for the axis label and the direct labels.
    null_value : float, default 0.0
        Where "no change" lies (1 for a ratio).
    null_label : str, default "no change"
        Label of the line at ``null_value``.
    suppression_threshold : int, default 5
        An ``n`` from 1 to this − 1 is refused (ValueError): suppress it upstream.
    reasons : mapping of outcome to str, optional
        Words for a suppressed row's alt text instead of "suppressed". No digits.

    Returns
    -------
    Chart
        ``kind="forest"``; each estimate and interval written at the right of its row and
        in the alt text; ``data`` holds the columns above as published.
    """
    if not isinstance(table, pd.DataFrame):
        raise ValueError(
            f"estimate_forest: table must be a pandas DataFrame; got {type(table).__name__}"
        )
    title = _sentence_start(label)
    rows = _forest_rows(table)
    data, counts = _forest_data(table, rows, suppression_threshold)
    words = _row_reasons(
        reasons, [r[0] for r in rows], [r[1] == "c" for r in rows], "estimate_forest"
    )
    if not rows or all(r[1] != "c" and math.isnan(r[1]) for r in rows):
        chart = _empty_chart(title, f"Forest plot of {label}", "forest", (), ())
        return Chart(
            figure=chart.figure,
            alt=chart.alt,
            title=title,
            data=data,
            kind="forest",
            per_person=False,
            counts=counts,
        )
    level = _confidence_words(table)

    figure, ax = _figure(7.0, 1.3 + 0.5 * len(rows))
    _draw_forest(ax, rows, unit, null_value, null_label)
    ax.set_title(title, pad=20)
    ax.set_xlabel(_axis_label(label, unit) + f", with {level} intervals")

    parts = [
        f"{row[0]}: {_forest_text(row, unit, True, words.get(i))}" for i, row in enumerate(rows)
    ]
    alt = (
        f"Forest plot of {label}: estimates with {level} intervals, and a line at "
        f"{_fmt(null_value, '', 1)} ({null_label}). " + "; ".join(parts) + "."
    )
    return Chart(
        figure=figure,
        alt=alt,
        title=title,
        data=data,
        kind="forest",
        per_person=False,
        counts=counts,
    )


def _confidence_words(table: pd.DataFrame) -> str:
    if "confidence_level" in table.columns:
        levels = pd.to_numeric(table["confidence_level"], errors="coerce").dropna().unique()
        if levels.size == 1:
            return f"{levels[0] * 100:g}% confidence"
    return "confidence"


def _draw_forest(
    ax: Axes,
    rows: list[tuple[str, float | str, float, float]],
    unit: str,
    null_value: float,
    null_label: str,
) -> None:
    y = np.arange(len(rows))
    for i, row in enumerate(rows):
        _, estimate, lower, upper = row
        if isinstance(estimate, float) and not math.isnan(estimate):
            if not (math.isnan(lower) or math.isnan(upper)):
                ax.hlines(i, lower, upper, color=DARK_BLUE, linewidth=2.5)
            ax.plot(
                estimate,
                i,
                marker="o",
                markersize=8,
                color=DARK_BLUE,
                markeredgecolor="white",
                zorder=3,
            )
        ax.annotate(
            _forest_text(row, unit, alt=False),
            xy=(1.0, i),
            xycoords=("axes fraction", "data"),
            xytext=(8, 0),
            textcoords="offset points",
            va="center",
            ha="left",
            fontsize=10,
        )
    ax.axvline(null_value, color=TEXT, linewidth=1.2, linestyle=(0, (4, 2)), zorder=1)
    ax.annotate(
        null_label,
        xy=(null_value, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(0, 3),
        textcoords="offset points",
        ha="center",
        va="bottom",
        fontsize=10,
        color=TEXT,
    )
    ax.set_yticks(y, [r[0] for r in rows])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.xaxis.grid(True)
    ax.set_axisbelow(True)
    finite = [v for r in rows for v in r[1:] if isinstance(v, float) and not math.isnan(v)]
    low, high = min([*finite, null_value]), max([*finite, null_value])
    pad = (high - low) * 0.08 or 1.0
    ax.set_xlim(low - pad, high + pad)


# --------------------------------------------------------------------------- commissioner charts
#
# The builders below take ONLY aggregated, already-suppressed tables (never one value per
# person) and draw and say only what the table holds. A count from 1 to threshold − 1 is
# refused, a "c" cell is drawn as nothing (a "c" label, no mark) and said as "suppressed".


def _check_counts(cells: list[float | str], threshold: int, who: str, labels: list[str]) -> None:
    """Refuse a visible count from 1 to ``threshold - 1`` (it should have been "c")."""
    if not (isinstance(threshold, int | np.integer) and threshold >= 1):
        raise ValueError(f"{who}: suppression_threshold must be a whole number of 1 or more")
    for label, value in zip(labels, cells, strict=True):
        if value == "c" or (isinstance(value, float) and math.isnan(value)):
            continue
        if not float(value).is_integer():
            raise ValueError(f"{who}: the count for {label!r} is not a whole number")
        if 0 < value < threshold:
            raise ValueError(
                f"{who}: the count for {label!r} is below the suppression threshold; "
                'suppress it upstream ("c") or merge it with a neighbour'
            )


def _require_columns(table: Any, columns: tuple[str, ...], who: str) -> None:
    if not isinstance(table, pd.DataFrame):
        raise ValueError(
            f"{who}: table must be an aggregated pandas DataFrame; got {type(table).__name__}"
        )
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(
            f"{who}: table lacks column(s) {', '.join(missing)}; "
            f"found {', '.join(map(str, table.columns)) or 'none'}"
        )


def _estimate(value: Any, where: str) -> float | str:
    """An estimate cell: a float, ``"c"`` or NaN (missing)."""
    if _is_c(value):
        return "c"
    return float(_numbers([value], where)[0])


# ----------------------------------------------------------------- merged histogram bins


def _start_edges(values: np.ndarray, width: float | None) -> tuple[np.ndarray, bool]:
    """Bin edges as :func:`_histogram` bins change (nice width; whole-number data has the
    bin [−0.5, 0.5] for no change), covering every value, trimmed to the occupied range."""
    integer = bool(np.all(values == np.round(values)))
    if width is None:
        target = min(30, max(5, math.ceil(2 * values.size ** (1 / 3))))
        width = _nice_width(float(values.max() - values.min()) / target, integer)
    elif not (math.isfinite(width) and width > 0):
        raise ValueError(f"merge_bins: width must be a positive number; got {width!r}")
    low, high = float(values.min()), float(values.max())
    if integer and width >= 1:
        up = 0.5 + width * np.arange(0, max(0, math.ceil((high - 0.5) / width)) + 2)
        down = -0.5 - width * np.arange(0, max(0, math.ceil((-low - 0.5) / width)) + 2)
        edges = np.unique(np.concatenate([down, up]))
    else:
        integer = False
        first, last = math.floor(low / width), math.floor(high / width) + 1
        edges = width * np.arange(first, last + 1)
    # Tidy float noise (0.30000000000000004) well below the width, then make sure the
    # edges still reach both ends of the data.
    edges = np.unique(np.round(edges, max(0, 6 - math.floor(math.log10(width)))))
    while edges[0] > low:
        edges = np.concatenate([[edges[0] - width], edges])
    while edges[-1] < high:
        edges = np.concatenate([edges, [edges[-1] + width]])
    counts = _bin_counts(values, edges)
    occupied = np.flatnonzero(counts)
    return edges[occupied[0] : occupied[-1] + 2], integer


def _bin_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """People per bin ``[e_i, e_i+1)``, the last bin closed ``[e_n-1, e_n]`` (numpy's rule)."""
    counts, _ = np.histogram(values, bins=edges)
    return counts


def _side(low: float, high: float) -> str:
    """``"rose"`` for a bin wholly above zero, ``"fell"`` below, ``""`` if it spans zero."""
    return "rose" if low >= 0 else "fell" if high <= 0 else ""


def merge_bins(
    values: Any,
    threshold: int = 5,
    *,
    width: float | None = None,
) -> list[tuple[float, float]]:
    """Histogram bin edges such that every bin holds 0 or at least ``threshold`` people.

    Starts from the bins :func:`change_distribution` draws (a "nice" width by Rice's rule;
    for whole-number data the bin −0.5 to 0.5 is exactly "no change"), trimmed to the
    occupied range, then repeatedly merges the bin holding the fewest people (1 to
    ``threshold - 1``; leftmost on a tie) with its neighbour holding fewer people (one on
    the same side of zero first, so rises and falls stay apart where they can; empty
    neighbours only when there is no other), until no bin holds 1 to ``threshold - 1``.

    Parameters
    ----------
    values : array-like of float
        One value per person (e.g. change); missing values are left out. Person-level:
        call this upstream, where the data is, then pass the counts on as a table.
    threshold : int, default 5
        The suppression threshold.
    width : float, optional
        Starting bin width instead of the automatic one.

    Returns
    -------
    list of (low, high)
        Adjacent bins, left to right, ``[low, high)`` except the last, which is closed;
        together they cover every value. Empty when there are no values.

    Raises
    ------
    ValueError
        When there are from 1 to ``threshold - 1`` values in all (no histogram of them can
        be published).
    """
    if not (isinstance(threshold, int | np.integer) and threshold >= 1):
        raise ValueError(
            f"merge_bins: threshold must be a whole number of 1 or more; got {threshold!r}"
        )
    array = _numbers(values, "values")
    array = array[~np.isnan(array)]
    if array.size == 0:
        return []
    if array.size < threshold:
        raise ValueError(
            "merge_bins: fewer values than the suppression threshold; no histogram of them "
            "can be published"
        )
    edges, _ = _start_edges(array, width)
    bounds = list(edges)
    counts = list(_bin_counts(array, edges))
    while True:
        small = [i for i, c in enumerate(counts) if 0 < c < threshold]
        if not small:
            break
        i = min(small, key=lambda k: (counts[k], k))
        neighbours = [j for j in (i - 1, i + 1) if 0 <= j < len(counts)]
        filled = [j for j in neighbours if counts[j] > 0] or neighbours
        side = _side(bounds[i], bounds[i + 1])
        same = [j for j in filled if side and _side(bounds[j], bounds[j + 1]) == side]
        j = min(same or filled, key=lambda k: (counts[k], k))
        left, right = min(i, j), max(i, j)
        counts[left : right + 1] = [counts[left] + counts[right]]
        del bounds[right]
    return [(float(a), float(b)) for a, b in itertools.pairwise(bounds)]


def histogram_table(
    values: Any,
    threshold: int = 5,
    *,
    width: float | None = None,
) -> pd.DataFrame:
    """The table :func:`binned_histogram` draws: bins from :func:`merge_bins` and counts.

    For the code that holds the person-level values (the gate, upstream of the chart):
    columns ``bin_low``, ``bin_high``, ``n``, every ``n`` 0 or ≥ ``threshold``.
    """
    array = _numbers(values, "values")
    array = array[~np.isnan(array)]
    bins = merge_bins(array, threshold, width=width)
    if not bins:
        return pd.DataFrame({"bin_low": [], "bin_high": [], "n": pd.Series([], dtype=object)})
    edges = np.array([bins[0][0], *(b[1] for b in bins)])
    counts = _bin_counts(array, edges)
    return pd.DataFrame(
        {
            "bin_low": [b[0] for b in bins],
            "bin_high": [b[1] for b in bins],
            "n": pd.Series([int(c) for c in counts], dtype=object),
        }
    )


_BIN_COLUMNS = ("bin_low", "bin_high", "n")


@_house_styled
def binned_histogram(
    table: pd.DataFrame,
    label: str,
    unit: str = "",
    higher_is_better: bool = True,
    *,
    noun: str = "children",
    suppression_threshold: int = 5,
    reasons: Mapping[str, str] | None = None,
) -> Chart:
    """Histogram of change drawn from a table of bins (commissioner edition).

    Parameters
    ----------
    table : pandas.DataFrame
        One row per bin, left to right, with columns ``bin_low``, ``bin_high`` (edges in
        the unit of the change; adjacent bins share an edge, gaps allowed) and ``n``
        (people in the bin: 0, at least ``suppression_threshold``, or ``"c"``), e.g. from
        :func:`histogram_table`. A ``bin`` column, if any, is ignored (labels are made
        from the edges).
    label : str
        What was measured, lower case (``"attendance"``).
    unit : str, default ""
        Unit of the *scores* (``"%"`` makes the change "percentage points").
    higher_is_better : bool, default True
        Direction of improvement: bins wholly above zero are rises, below zero falls;
        the side that is better is blue, the worse side orange and hatched, a bin that
        spans zero grey.
    noun : str, default "children"
        Who the people are, plural.
    suppression_threshold : int, default 5
        A bin count from 1 to this − 1 is refused (ValueError): merge bins upstream.
    reasons : mapping of bin label to str, optional
        Words for a ``"c"`` bin's alt text instead of "suppressed" (keys as the ``bin``
        column of ``Chart.data``, e.g. ``"−10 to −5"``). No digits.

    Returns
    -------
    Chart
        ``kind="histogram"``, ``per_person=False``; ``data`` columns ``bin`` (label),
        ``bin_low``, ``bin_high``, ``n``. Every bar is labelled with its count and every
        edge with its value; the count axis has no scale, so every number drawn or said
        is one of the table's.
    """
    who = "binned_histogram"
    _require_columns(table, _BIN_COLUMNS, who)
    title = f"Change in {label}"
    change_unit = _change_unit(unit)
    lows = [float(_numbers([v], f"{who}: bin_low")[0]) for v in table["bin_low"]]
    highs = [float(_numbers([v], f"{who}: bin_high")[0]) for v in table["bin_high"]]
    names = [f"{_edge(a)} to {_edge(b)}" for a, b in zip(lows, highs, strict=True)]
    cells = [
        _cell(v, f"{who}: n of bin {name!r}") for v, name in zip(table["n"], names, strict=True)
    ]
    _check_counts(cells, suppression_threshold, who, names)
    for i, (a, b) in enumerate(zip(lows, highs, strict=True)):
        if math.isnan(a) or math.isnan(b) or not a < b:
            raise ValueError(f"{who}: bin {i + 1} needs bin_low < bin_high")
        if i and a < highs[i - 1]:
            raise ValueError(f"{who}: bins must be in order and not overlap (bin {i + 1})")
    data = pd.DataFrame(
        {
            "bin": names,
            "bin_low": [_plain(a) for a in lows],
            "bin_high": [_plain(b) for b in highs],
            "n": pd.Series([_published(c) for c in cells], dtype=object),
        }
    )
    words = _row_reasons(reasons, names, [c == "c" for c in cells], who)
    if all(isinstance(c, float) and math.isnan(c) for c in cells):
        return Chart(
            figure=_empty_chart(title, "", "histogram", (), ()).figure,
            alt=f"Histogram of the change in {label}: no data to show.",
            title=title,
            data=data,
            kind="histogram",
            per_person=False,
            counts=("n",),
        )

    figure, ax = _figure(7.0, 4.0)
    good, bad = ("rose", "fell") if higher_is_better else ("fell", "rose")
    style = {good: (IMPROVED, None), bad: (WORSE, "///"), "spans": (NEUTRAL, None)}
    numbers = [c for c in cells if not isinstance(c, str) and not math.isnan(c)]
    top = max(numbers, default=0.0) or 1.0
    for a, b, value in zip(lows, highs, cells, strict=True):
        side = "rose" if a >= 0 else "fell" if b <= 0 else "spans"
        colour, hatch = style[side]
        drawn = 0.0 if isinstance(value, str) or math.isnan(value) else float(value)
        if drawn:
            ax.bar(
                a,
                drawn,
                width=b - a,
                align="edge",
                color=colour,
                hatch=hatch,
                edgecolor="white",
                linewidth=1.0,
            )
        ax.text(
            (a + b) / 2,
            drawn + top * 0.02,
            _count_text(value),
            ha="center",
            va="bottom",
            fontsize=10,
            color=TEXT,
        )
    edges = sorted({*lows, *highs})
    ax.set_xticks(edges, [_edge(e) for e in edges], rotation=0 if len(edges) <= 10 else 45)
    if lows[0] < 0 < highs[-1]:
        ax.axvline(0, color=TEXT, linewidth=1.5, linestyle=(0, (4, 2)), zorder=4)
    ax.set_xlim(lows[0] - (highs[-1] - lows[0]) * 0.02, highs[-1] + (highs[-1] - lows[0]) * 0.02)
    ax.set_ylim(0, top * 1.2)
    _hide_count_ticks(ax.yaxis)
    ax.spines["left"].set_visible(False)
    ax.set_ylabel(f"Number of {noun}")
    ax.set_xlabel(f"Change in {label} (after − before{', ' + change_unit if unit else ''})")
    ax.set_title(title)

    parts = [
        f"{name}: {_count_text(value, alt=True, reason=words.get(i))}"
        for i, (name, value) in enumerate(zip(names, cells, strict=True))
    ]
    better = "above" if higher_is_better else "below"
    alt = (
        f"Histogram of the change in {label} (after minus before"
        f"{', in ' + change_unit if unit else ''}), number of {noun} in each range of "
        f"change; ranges are merged so that none holds only a few {noun}, and a change "
        f"{better} zero is an improvement. " + "; ".join(parts) + "."
    )
    return Chart(
        figure=figure,
        alt=alt,
        title=title,
        data=data,
        kind="histogram",
        per_person=False,
        counts=("n",),
    )


# ----------------------------------------------------------------- means with intervals

_MEANS_COLUMNS = ("when", "mean", "lower_ci", "upper_ci", "n")


@_house_styled
def means_chart(
    table: pd.DataFrame,
    label: str,
    unit: str = "%",
    higher_is_better: bool = True,
    *,
    noun: str = "children",
    suppression_threshold: int = 5,
    reasons: Mapping[str, str] | None = None,
) -> Chart:
    """Means with confidence intervals, e.g. before and after (commissioner edition).

    Replaces the slope chart for commissioners: one point per row, its interval as an
    error bar, consecutive points joined.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per time point, in order, with columns ``when`` (label, e.g.
        ``"Before"``, ``"After"``), ``mean``, ``lower_ci``, ``upper_ci`` (in ``unit``) and
        ``n`` (people behind the mean: 0, at least ``suppression_threshold``, or ``"c"``),
        and optionally ``confidence_level`` (e.g. 0.95; the wording is "confidence
        intervals" without it). A ``"c"`` in any of a row's numbers suppresses the row:
        no point, no interval, a ``c`` label, "suppressed" in the alt text.
    label : str
        What was measured, lower case (``"attendance"``).
    unit : str, default "%"
        Unit of the scores: ``"%"``, ``"points"`` or ``""``.
    higher_is_better : bool, default True
        Direction of improvement (said in the alt text when lower is better).
    noun : str, default "children"
        Who the people are, plural.
    suppression_threshold : int, default 5
        An ``n`` from 1 to this − 1 is refused (ValueError): suppress it upstream.
    reasons : mapping of ``when`` label to str, optional
        Words for a suppressed row's alt text instead of "suppressed". No digits.

    Returns
    -------
    Chart
        ``kind="means"``, ``per_person=False``; ``data`` columns ``when``, ``mean``,
        ``lower_ci``, ``upper_ci``, ``n`` (and ``confidence_level`` if given).
    """
    who = "means_chart"
    _require_columns(table, _MEANS_COLUMNS, who)
    whens = [str(w) for w in table["when"]]
    rows: list[tuple[float | str, float | str, float | str]] = []
    for i, when in enumerate(whens):
        estimates = tuple(
            _estimate(table[col].iloc[i], f"{who}: {col} of {when!r}")
            for col in ("mean", "lower_ci", "upper_ci")
        )
        rows.append(estimates)  # type: ignore[arg-type]
    ns = [_cell(v, f"{who}: n of {when!r}") for v, when in zip(table["n"], whens, strict=True)]
    _check_counts(ns, suppression_threshold, who, whens)
    hidden = [any(v == "c" for v in (*r, n)) for r, n in zip(rows, ns, strict=True)]
    data: dict[str, list[Any]] = {
        "when": whens,
        **{
            col: ["c" if h else _plain(r[k]) for r, h in zip(rows, hidden, strict=True)]
            for k, col in enumerate(("mean", "lower_ci", "upper_ci"))
        },
        "n": ["c" if h else _published(n) for n, h in zip(ns, hidden, strict=True)],
    }
    if "confidence_level" in table.columns:
        data["confidence_level"] = [
            _plain(float(v)) if _is_number_or_missing(v) else None
            for v in table["confidence_level"]
        ]
    frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in data.items()})
    words = _row_reasons(reasons, whens, hidden, who)
    periods = " and ".join(_column_name(w) for w in whens)
    title = f"Mean {label} {periods}".strip()
    level = _confidence_words(table)
    shown = [
        i
        for i, (r, n, h) in enumerate(zip(rows, ns, hidden, strict=True))
        if not h and not math.isnan(r[0]) and not (isinstance(n, float) and n == 0)  # type: ignore[arg-type]
    ]
    if not shown and not any(hidden):
        chart = _empty_chart(title, f"Chart of the mean {label}", "means", (), ())
        return Chart(
            figure=chart.figure,
            alt=chart.alt,
            title=title,
            data=frame,
            kind="means",
            per_person=False,
            counts=("n",),
        )

    figure, ax = _figure(7.0, 4.2)
    x = np.arange(len(whens), dtype=float)
    _draw_means(ax, x, rows, shown, hidden, unit)
    ticks = [
        f"{w}\n{'c' if h else _means_n_text(n, noun)}"
        for w, n, h in zip(whens, ns, hidden, strict=True)
    ]
    ax.set_xticks(x, ticks)
    ax.set_xlim(-0.6, len(whens) - 0.4)
    ax.spines["bottom"].set_visible(False)
    ax.tick_params(axis="x", length=0)
    ax.set_ylabel(_axis_label(label, unit))
    finite = [float(v) for i in shown for v in rows[i] if not math.isnan(float(v))]
    low, high = min(finite, default=0.0), max(finite, default=1.0)
    if unit == "%" and low >= 0 and high <= 100:
        ax.set_ylim(0, 105)
    else:
        pad = (high - low) * 0.15 or 1.0
        ax.set_ylim(low - pad, high + pad)
    ax.yaxis.grid(True)
    ax.set_axisbelow(True)
    ax.set_title(title)

    parts = []
    for i, (when, r, n) in enumerate(zip(whens, rows, ns, strict=True)):
        if hidden[i]:
            parts.append(f"{when}: {words.get(i, SUPPRESSED_WORDS)}")
        elif i not in shown:
            parts.append(f"{when}: no data")
        else:
            parts.append(f"{when}: mean {_means_text(r, unit, alt=True)}, {_means_n_text(n, noun)}")
    alt = (
        f"Chart of the mean {label} {periods} with {level} intervals. "
        + "; ".join(parts)
        + "."
        + _direction_note(higher_is_better)
    )
    return Chart(
        figure=figure,
        alt=alt,
        title=title,
        data=frame,
        kind="means",
        per_person=False,
        counts=("n",),
    )


def _means_n_text(n: float | str, noun: str) -> str:
    if isinstance(n, float) and math.isnan(n):
        return "n not known"
    return _people(int(n), noun)


def _means_text(row: tuple[Any, Any, Any], unit: str, alt: bool) -> str:
    mean, lower, upper = (float(v) for v in row)
    text = _fmt(mean, unit)
    if math.isnan(lower) or math.isnan(upper):
        return text
    interval = f"{_fmt(lower, unit)} to {_fmt(upper, unit)}"
    return f"{text} ({'CI ' if alt else ''}{interval})"


def _draw_means(
    ax: Axes,
    x: np.ndarray,
    rows: list[tuple[Any, Any, Any]],
    shown: list[int],
    hidden: list[bool],
    unit: str,
) -> None:
    for a, b in itertools.pairwise(shown):
        if b == a + 1:
            ax.plot(
                x[[a, b]],
                [float(rows[a][0]), float(rows[b][0])],
                color=DARK_BLUE,
                linewidth=2,
                zorder=2,
            )
    for i in shown:
        mean, lower, upper = (float(v) for v in rows[i])
        if not (math.isnan(lower) or math.isnan(upper)):
            ax.vlines(x[i], lower, upper, color=DARK_BLUE, linewidth=2.5, zorder=3)
            ax.hlines([lower, upper], x[i] - 0.06, x[i] + 0.06, color=DARK_BLUE, linewidth=2.5)
        ax.plot(
            x[i],
            mean,
            marker="o",
            markersize=10,
            color=TEXT,
            markeredgecolor="white",
            markeredgewidth=1.5,
            zorder=5,
        )
        ax.annotate(
            f"Mean {_means_text(rows[i], unit, alt=False)}",
            xy=(x[i], mean),
            xytext=(12, 0),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=10,
            fontweight="bold",
            bbox=_label_box(),
            zorder=6,
        )
    for i, h in enumerate(hidden):
        if h:
            ax.annotate(
                "c",
                xy=(x[i], 0.5),
                xycoords=("data", "axes fraction"),
                ha="center",
                va="center",
                fontsize=12,
                color=TEXT,
            )
