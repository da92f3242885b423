"""The few chart types every report uses, each with alt text generated from its data.

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
import functools
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ParamSpec

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

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
    "TURQUOISE",
    "Chart",
    "before_after",
    "category_bars",
    "change_distribution",
    "display",
    "estimate_forest",
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
    """A finished chart.

    Attributes
    ----------
    figure : matplotlib.figure.Figure
        The chart, drawn in the house style (not registered with ``pyplot``).
    alt : str
        Alt text generated from the data shown: the kind of chart, what is plotted, n and
        the key numbers. Goes into the report as the image's ``alt`` attribute.
    title : str
        The chart's title, as drawn on it.
    """

    figure: Figure
    alt: str
    title: str

    def __post_init__(self) -> None:
        # Settle the constrained layout now, so every PNG of this chart is the same bytes
        # (the first draw of a constrained-layout figure otherwise differs from later ones).
        self.figure.draw_without_rendering()

    def _repr_png_(self) -> tuple[str, dict[str, str]]:
        """Let a bare ``chart`` at the end of a cell show as a PNG with its alt text."""
        return base64.b64encode(to_png(self)).decode("ascii"), {"alt": self.alt}

    def __repr__(self) -> str:
        return f"Chart({self.title!r}: {self.alt})"


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
        A PNG on a white background, cropped to its content, with no ``Software``
        metadata, so the same chart always gives the same bytes.
    """
    buffer = io.BytesIO()
    chart.figure.savefig(
        buffer,
        format="png",
        dpi=dpi,
        bbox_inches="tight",
        pad_inches=0.15,
        facecolor="white",
        metadata={"Software": None},
    )
    return buffer.getvalue()


def to_image(chart: Chart) -> Image:
    """The chart as an ``IPython.display.Image`` carrying its alt text.

    The alt text is in the image's metadata, so Jupyter stores it at
    ``output.metadata["image/png"]["alt"]`` (where the report template reads it), and it
    is also the image's plain-text form.
    """
    from IPython.display import Image

    class _AltImage(Image):  # plain-text form = alt text, not "<IPython...Image object>"
        def __repr__(self) -> str:
            return chart.alt

    return _AltImage(data=to_png(chart), format="png", metadata={"alt": chart.alt})


def display(chart: Chart) -> None:
    """Show a chart in a notebook as a PNG whose metadata carries the alt text.

    Displays ``IPython.display.Image(png, metadata={"alt": chart.alt})`` and nothing else:
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


def _empty_chart(title: str, what: str) -> Chart:
    """A chart that says there is nothing to show, with matching alt text."""
    figure, ax = _figure(7.0, 2.0)
    ax.set_axis_off()
    ax.set_title(title)
    ax.text(0.5, 0.5, "No data to show", ha="center", va="center", fontsize=12)
    return Chart(figure=figure, alt=f"{what}: no data to show.", title=title)


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
        return _empty_chart(title, f"Slope chart of {label}")
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
    return Chart(figure=figure, alt=alt + _direction_note(higher_is_better), title=title)


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
        return _empty_chart(title, f"Histogram of the change in {label}")
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
    return Chart(figure=figure, alt=alt + _direction_note(higher_is_better), title=title)


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
        return _empty_chart(title, f"Scatter plot of {label} before and after")
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
    return Chart(figure=figure, alt=alt + _direction_note(higher_is_better), title=title)


# --------------------------------------------------------------------------- category bars


def _cell(value: Any, where: str) -> float | str:
    """A count cell: a number, ``"c"`` (suppressed) or NaN (missing). Anything else raises."""
    if isinstance(value, str):
        text = value.strip()
        if text.lower() == "c":
            return "c"
        if not _is_number_or_missing(text):
            raise ValueError(f"category_bars: {where} must be a count or 'c'; found {value!r}")
        value = text
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    if not _is_number_or_missing(value):
        raise ValueError(f"category_bars: {where} must be a count or 'c'; found {value!r}")
    number = float(value)
    if math.isinf(number) or number < 0:
        raise ValueError(f"category_bars: {where} must be a count of 0 or more; found {value!r}")
    return number


def _count_text(value: float | str, threshold: int, alt: bool = False) -> str:
    if value == "c":
        return f"suppressed (fewer than {threshold})" if alt else "c"
    if isinstance(value, float) and math.isnan(value):
        return "no data"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _column_name(name: Any) -> str:
    """Column name as it reads mid-sentence: ``'Before'`` → ``'before'``, ``'KS2'`` kept."""
    text = str(name)
    return text if any(ch.isupper() for ch in text[1:]) else text[:1].lower() + text[1:]


@_house_styled
def category_bars(
    table: pd.DataFrame,
    label: str,
    *,
    noun: str = "children",
    suppression_threshold: int = 5,
) -> Chart:
    """Before/after bars of counts per category, each bar labelled with its period and count.

    Parameters
    ----------
    table : pandas.DataFrame
        Counts (number of people), already suppressed: one row per category (the index,
        e.g. SDQ bands or ``"Persistently absent"`` / ``"Not persistently absent"``), one
        column per period (e.g. ``"Before"``, ``"After"``), in the order to show. A cell
        may be ``"c"`` (DfE suppression symbol): drawn as no bar with a ``c`` label and
        described as "suppressed (fewer than 5)" in the alt text. Missing cells are
        labelled "no data".
    label : str
        What is counted, lower case (``"SDQ band"``).
    noun : str, default "children"
        Who is counted, plural (for the axis label).
    suppression_threshold : int, default 5
        The threshold used to suppress the table, for the alt text's wording.

    Returns
    -------
    Chart
        Horizontal bars; the alt text lists every category's counts per period, and a
        period's total only when none of its cells is suppressed or missing (so a
        suppressed cell can never be worked out from the alt text).
    """
    if not isinstance(table, pd.DataFrame):
        raise ValueError(
            f"category_bars: table must be a pandas DataFrame; got {type(table).__name__}"
        )
    title = f"{_sentence_start(label)} before and after"
    cells = [
        [
            _cell(table.iat[i, j], f"cell ({table.index[i]!r}, {table.columns[j]!r})")
            for j in range(table.shape[1])
        ]
        for i in range(table.shape[0])
    ]
    if all(isinstance(v, float) and math.isnan(v) for row in cells for v in row):
        return _empty_chart(title, f"Bar chart of {label}")
    categories, periods = [str(c) for c in table.index], [str(c) for c in table.columns]

    figure, ax = _figure(7.0, 0.9 + 0.45 * len(categories) * max(2, len(periods)) * 0.75)
    _draw_category_bars(ax, cells, periods, suppression_threshold)
    ax.set_yticks(np.arange(len(categories)), categories)
    ax.invert_yaxis()
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.set_xlabel(f"Number of {noun}")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_title(title)

    alt = _category_alt(label, categories, periods, cells, suppression_threshold)
    return Chart(figure=figure, alt=alt, title=title)


def _draw_category_bars(
    ax: Axes, cells: list[list[float | str]], periods: list[str], threshold: int
) -> None:
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
                f"{periods[j]}: {_count_text(value, threshold)}",
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
    threshold: int,
) -> str:
    names = [_column_name(p) for p in periods]
    parts = [
        f"{category}: "
        + ", ".join(
            f"{name} {_count_text(value, threshold, alt=True)}"
            for name, value in zip(names, row, strict=True)
        )
        for category, row in zip(categories, cells, strict=True)
    ]
    alt = (
        f"Bar chart of {label} ({' and '.join(names)}), number in each category. "
        + "; ".join(parts)
        + "."
    )
    totals = [
        f"{name} {sum(col):,.0f}"
        for name, col in zip(names, zip(*cells, strict=True), strict=True)
        if all(not isinstance(v, str) and not math.isnan(v) for v in col)
    ]
    if totals:
        alt += " Totals: " + ", ".join(totals) + "."
    return alt


# --------------------------------------------------------------------------- forest plot

_FOREST_COLUMNS = ("outcome", "estimate", "lower_ci", "upper_ci")


def _forest_rows(table: pd.DataFrame) -> list[tuple[str, float | str, float, float]]:
    """(outcome, estimate or "c", lower, upper) per row; "c" anywhere suppresses the row."""
    missing = [c for c in _FOREST_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(
            f"estimate_forest: table lacks column(s) {', '.join(missing)}; "
            f"found {', '.join(map(str, table.columns)) or 'none'}"
        )
    rows = []
    for i, record in enumerate(table.loc[:, list(_FOREST_COLUMNS)].itertuples(index=False)):
        outcome, *numbers = record
        if any(isinstance(v, str) and v.strip().lower() == "c" for v in numbers):
            rows.append((str(outcome), "c", math.nan, math.nan))
            continue
        estimate, lower, upper = (
            float(_numbers([v], f"row {i} ({outcome!r}) {col}")[0])
            for v, col in zip(numbers, _FOREST_COLUMNS[1:], strict=True)
        )
        rows.append((str(outcome), estimate, lower, upper))
    return rows


def _forest_text(
    row: tuple[str, float | str, float, float], unit: str, alt: bool, threshold: int = 5
) -> str:
    _, estimate, lower, upper = row
    if estimate == "c":
        return f"suppressed (fewer than {threshold})" if alt else "c"
    if math.isnan(estimate):
        return "no estimate"
    text = _fmt(estimate, unit, decimals=1, sign=True)
    if math.isnan(lower) or math.isnan(upper):
        return text
    interval = f"{_fmt(lower, '', 1, True)} to {_fmt(upper, '', 1, True)}"
    return f"{text} ({'CI ' if alt else ''}{interval})"


@_house_styled
def estimate_forest(
    table: pd.DataFrame,
    label: str,
    *,
    unit: str = "",
    null_value: float = 0.0,
    null_label: str = "no change",
    suppression_threshold: int = 5,
) -> Chart:
    """Point estimates with confidence intervals for several outcomes or items.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per outcome, in the order to show, with columns ``outcome``,
        ``estimate``, ``lower_ci``, ``upper_ci`` (e.g. mean change with its CI, in the
        outcome's unit) and optionally ``confidence_level`` (e.g. 0.95). A ``"c"`` in a
        row's numbers marks it suppressed; a missing estimate is labelled "no estimate".
    label : str
        What the estimates are, lower case (``"change in PASS factors"``).
    unit : str, default ""
        Unit of the estimates, for the axis label and the direct labels.
    null_value : float, default 0.0
        Where "no change" lies (1 for a ratio).
    null_label : str, default "no change"
        Label of the line at ``null_value``.
    suppression_threshold : int, default 5
        The threshold used to suppress the table, for the alt text's wording.

    Returns
    -------
    Chart
        Each estimate and interval written at the right of its row and in the alt text.
    """
    if not isinstance(table, pd.DataFrame):
        raise ValueError(
            f"estimate_forest: table must be a pandas DataFrame; got {type(table).__name__}"
        )
    title = _sentence_start(label)
    rows = _forest_rows(table)
    if not rows or all(r[1] != "c" and math.isnan(r[1]) for r in rows):
        return _empty_chart(title, f"Forest plot of {label}")
    level = _confidence_words(table)

    figure, ax = _figure(7.0, 1.3 + 0.5 * len(rows))
    _draw_forest(ax, rows, unit, null_value, null_label)
    ax.set_title(title, pad=20)
    ax.set_xlabel(_axis_label(label, unit) + f", with {level} intervals")

    parts = [f"{row[0]}: {_forest_text(row, unit, True, suppression_threshold)}" for row in rows]
    alt = (
        f"Forest plot of {label}: estimates with {level} intervals for {len(rows):,} "
        f"outcomes, and a line at {_fmt(null_value, '', 1)} ({null_label}). "
        + "; ".join(parts)
        + "."
    )
    return Chart(figure=figure, alt=alt, title=title)


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
