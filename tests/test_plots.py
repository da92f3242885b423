"""Tests for dspl_eval.plots: alt text from the data, suppression, empty input, house style.

Every number an alt text should contain is computed here with numpy, independently of the
module, and formatted by hand.
"""

from __future__ import annotations

import itertools
import struct
import warnings
import zlib

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_rgb
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from dspl_eval import plots

MINUS = "\u2212"


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    """No chart may warn (RuntimeWarning from empty means, matplotlib layout warnings...)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _attendance(n: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    pre = rng.uniform(30, 95, n).round(1)
    post = np.clip(pre + rng.normal(15, 15, n), 0, 100).round(1)
    return pre, post


def _texts(chart: plots.Chart) -> list[str]:
    return [t.get_text() for t in chart.figure.findobj(Text) if t.get_visible() and t.get_text()]


def _png_chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of every chunk of a PNG (PNG specification, section 5.3)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = [], 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        assert (
            zlib.crc32(kind + data)
            == struct.unpack(">I", png[at + 8 + length : at + 12 + length])[0]
        )
        chunks.append((kind, data))
        at += 12 + length
    return chunks


# --------------------------------------------------------------------------- WCAG contrast


def _relative_luminance(colour: str | tuple[float, ...]) -> float:
    """WCAG 2.x relative luminance (https://www.w3.org/TR/WCAG22/#dfn-relative-luminance).

    L = 0.2126 R + 0.7152 G + 0.0722 B, each channel linearised from sRGB:
    c / 12.92 if c <= 0.04045, else ((c + 0.055) / 1.055) ** 2.4.
    """
    channels = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(colour)]
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]


def _contrast(a: str | tuple[float, ...], b: str | tuple[float, ...]) -> float:
    """WCAG 2.x contrast ratio (L1 + 0.05) / (L2 + 0.05), L1 the lighter."""
    la, lb = sorted((_relative_luminance(a), _relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_formula_matches_known_values():
    # Black on white is 21:1 by definition; #767676 on white is the well-known 4.54:1.
    assert _contrast("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert _contrast("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)


def test_palette_is_the_analysis_function_palette():
    assert [c.upper() for c in plots.PALETTE] == [
        "#12436D",
        "#28A197",
        "#801650",
        "#F46A25",
        "#3D3D3D",
        "#A285D1",
    ]


@pytest.mark.parametrize("colour", plots.MARK_COLOURS)
def test_mark_colours_contrast_at_least_3_to_1_on_white(colour):
    # WCAG 2.x success criterion 1.4.11 (non-text contrast): graphical objects ≥ 3:1.
    assert _contrast(colour, "#FFFFFF") >= 3.0


def _data_colours(chart: plots.Chart) -> set[tuple[float, float, float]]:
    """Colours of the marks that carry data: lines, bars, points, line collections."""
    ax = chart.figure.axes[0]
    found = {to_rgb(line.get_color()) for line in ax.findobj(Line2D) if line.get_visible()}
    found |= {to_rgb(p.get_facecolor()) for p in ax.patches if isinstance(p, Rectangle)}
    for collection in ax.collections:
        if isinstance(collection, (LineCollection, PathCollection)):
            colours = collection.get_edgecolor() if isinstance(collection, LineCollection) else None
            colours = collection.get_facecolor() if colours is None else colours
            found |= {tuple(c[:3]) for c in colours}
    background = {to_rgb("white"), to_rgb(plots.BAND), to_rgb(plots.GRID)}
    return found - background


def test_every_colour_drawn_is_a_house_colour(all_charts):
    allowed = {to_rgb(c) for c in plots.MARK_COLOURS}
    for chart in all_charts:
        used = _data_colours(chart)
        assert used, chart.title
        assert used <= allowed, (chart.title, used - allowed)


def test_text_is_at_least_9_point(all_charts):
    for chart in all_charts:
        sizes = {t.get_text(): t.get_fontsize() for t in chart.figure.findobj(Text) if t.get_text()}
        small = {text: size for text, size in sizes.items() if size < plots.MIN_FONT_SIZE}
        assert not small, (chart.title, small)


def test_charts_leave_global_style_alone():
    before = dict(mpl.rcParams)
    plots.before_after([50, 60], [70, 80], "attendance")
    assert dict(mpl.rcParams) == before


def test_use_house_style_sets_rcparams():
    with mpl.rc_context():
        plots.use_house_style()
        assert mpl.rcParams["axes.spines.top"] is False
        assert mpl.rcParams["axes.prop_cycle"].by_key()["color"] == list(plots.PALETTE)
        assert mpl.rcParams["font.size"] >= plots.MIN_FONT_SIZE


# --------------------------------------------------------------------------- before/after


def test_before_after_alt_has_n_means_and_directions():
    pre, post = _attendance(24)
    pre[[2, 9]] = np.nan  # two without a baseline
    chart = plots.before_after(pre, post, "attendance", noun="young people")
    complete = ~np.isnan(pre)
    n = int(complete.sum())
    mean_pre, mean_post = np.mean(pre[complete]), np.mean(post[complete])
    rose = int(np.sum(post[complete] > pre[complete]))
    fell = int(np.sum(post[complete] < pre[complete]))
    assert chart.alt.startswith(f"Slope chart of attendance for {n} young people with both scores")
    assert f"mean {mean_pre:.0f}% before, {mean_post:.0f}% after" in chart.alt
    assert f"{rose} rose, {fell} fell" in chart.alt
    assert "2 young people without both scores are not shown." in chart.alt
    assert chart.title == "Attendance before and after"
    texts = _texts(chart)
    assert f"Mean before\n{mean_pre:.0f}%" in texts
    assert f"Mean after\n{mean_post:.0f}%" in texts


def test_before_after_draws_one_line_per_person_when_few():
    pre, post = _attendance(24)
    chart = plots.before_after(pre, post, "attendance")
    collections = [c for c in chart.figure.axes[0].collections if isinstance(c, LineCollection)]
    assert sum(len(c.get_segments()) for c in collections) == 24
    assert "Faint lines show" not in chart.alt


def _segments(chart: plots.Chart) -> list[np.ndarray]:
    return [
        np.asarray(c.get_segments())
        for c in chart.figure.axes[0].collections
        if isinstance(c, LineCollection)
    ]


def test_before_after_subsamples_deterministically_beyond_60():
    pre, post = _attendance(5000, seed=3)
    first = plots.before_after(pre, post, "attendance")
    second = plots.before_after(pre.copy(), post.copy(), "attendance")
    lines = _segments(first)
    assert sum(len(s) for s in lines) == 60
    for a, b in zip(lines, _segments(second), strict=True):
        np.testing.assert_array_equal(a, b)
    # The sample spans the range of change: the largest rise and largest fall are drawn.
    drawn_change = np.concatenate([s[:, 1, 1] - s[:, 0, 1] for s in lines])
    change = post - pre
    assert drawn_change.max() == pytest.approx(change.max())
    assert drawn_change.min() == pytest.approx(change.min())
    # Means use everyone, and the alt text says what was drawn.
    assert f"mean {np.mean(pre):.0f}% before, {np.mean(post):.0f}% after" in first.alt
    assert "Faint lines show 60 of the 5,000, chosen evenly" in first.alt
    assert first.alt == second.alt


def test_before_after_lower_is_better_says_so():
    chart = plots.before_after(
        [20, 18, 25], [15, 19, 10], "SDQ total", unit="points", higher_is_better=False
    )
    assert "mean 21.0 points before, 14.7 points after; 2 fell, 1 rose" not in chart.alt
    assert "mean 21.0 points before, 14.7 points after; 1 rose, 2 fell." in chart.alt
    assert chart.alt.endswith("Lower scores are better.")


def test_single_pair_and_no_change():
    chart = plots.before_after([80], [80], "attendance")
    expected = "mean 80% before, 80% after; 0 rose, 0 fell, 1 did not change."
    assert f"for 1 child with both scores: {expected}" in chart.alt


# --------------------------------------------------------------------------- change distribution


def test_change_distribution_counts_and_summary():
    pre, post = _attendance(40, seed=11)
    change = post - pre
    change[[0, 1, 2]] = 0.0
    change[5] = np.nan
    chart = plots.change_distribution(change, "attendance", "%")
    valid = change[~np.isnan(change)]
    rose, fell, same = (valid > 0).sum(), (valid < 0).sum(), (valid == 0).sum()
    assert chart.alt.startswith(
        f"Histogram of the change in attendance (after minus before) for {valid.size} children"
    )
    mean, median = f"{np.mean(valid):+.0f}", f"{np.median(valid):+.0f}"
    assert f"mean {mean.replace('-', MINUS)} percentage points" in chart.alt
    assert f"median {median.replace('-', MINUS)} percentage points" in chart.alt
    assert f"{rose} improved, {same} did not change, {fell} got worse." in chart.alt
    assert "1 child whose change is missing is not shown." in chart.alt
    assert f"{rose} improved\n(rose) \u2192" in _texts(chart)
    # Nothing lost: the bars add up to everyone with a change; rises, falls and zeros
    # are never in the same bar.
    bars = [p for p in chart.figure.axes[0].patches if isinstance(p, Rectangle)]
    assert sum(p.get_height() for p in bars) == valid.size
    for bar in bars:
        left, right = bar.get_x(), bar.get_x() + bar.get_width()
        assert right <= 0 or left >= 0 or (left < 0 < right and bar.get_height() == same)


def test_change_distribution_integer_scores_lower_is_better():
    change = np.array([-6, -3, -3, -1, 0, 0, 2, 4, 9], dtype=float)
    chart = plots.change_distribution(
        change, "SDQ total difficulties", "points", higher_is_better=False
    )
    assert "4 improved, 2 did not change, 3 got worse." in chart.alt
    assert f"mean {np.mean(change):+.1f} points, median 0.0 points" in chart.alt
    bars = [p for p in chart.figure.axes[0].patches if isinstance(p, Rectangle)]
    zero_bar = [b for b in bars if b.get_x() < 0 < b.get_x() + b.get_width()]
    assert [b.get_height() for b in zero_bar] == [2]


def test_change_distribution_bar_count_does_not_grow_with_n():
    rng = np.random.default_rng(5)
    small = plots.change_distribution(rng.normal(5, 10, 200), "attendance", "%")
    large = plots.change_distribution(rng.normal(5, 10, 20_000), "attendance", "%")
    assert len(small.figure.axes[0].patches) <= 62
    assert len(large.figure.axes[0].patches) <= 62


# --------------------------------------------------------------------------- reliable change


def test_reliable_change_scatter_counts_match_independent_calculation():
    rng = np.random.default_rng(2)
    pre = rng.integers(8, 32, 50).astype(float)
    post = pre + rng.integers(-12, 8, 50)
    threshold = 9.30  # SD 7.5, reliability .80: 1.96 * sqrt(2) * 7.5 * sqrt(0.2)
    chart = plots.reliable_change_scatter(
        pre, post, threshold, "SDQ total difficulties", higher_is_better=False, unit="points"
    )
    change = post - pre
    improved = int(np.sum(change < -threshold))
    worse = int(np.sum(change > threshold))
    assert "for 50 children, with the line of no change and a band of ±9.3 points" in chart.alt
    assert (
        f"{improved} improved, {50 - improved - worse} no reliable change, {worse} deteriorated."
        in chart.alt
    )
    texts = _texts(chart)
    assert f"\u25bc Improved: {improved}" in texts
    assert f"\u25b2 Deteriorated: {worse}" in texts
    points = sum(
        len(c.get_offsets())
        for c in chart.figure.axes[0].collections
        if isinstance(c, PathCollection)
    )
    assert points == 50


def test_reliable_change_scatter_agrees_with_stats_module():
    stats = pytest.importorskip("dspl_eval.stats")
    rng = np.random.default_rng(4)
    pre, post = rng.normal(50, 10, 80), rng.normal(55, 10, 80)
    threshold = stats.reliable_change_threshold(10, 0.8)
    categories = stats.reliable_change(pre, post, 10, 0.8)["category"].value_counts()
    chart = plots.reliable_change_scatter(pre, post, threshold, "wellbeing")
    expected = (
        f"{categories['improved']} improved, {categories['no reliable change']} no reliable "
        f"change, {categories['deteriorated']} deteriorated."
    )
    assert expected in chart.alt


def test_reliable_change_scatter_subsamples_beyond_max_points():
    rng = np.random.default_rng(8)
    pre = rng.normal(50, 10, 30_000)
    post = pre + rng.normal(3, 6, 30_000)
    chart = plots.reliable_change_scatter(pre, post, 8.0, "wellbeing")
    again = plots.reliable_change_scatter(pre, post, 8.0, "wellbeing")
    offsets = [
        c.get_offsets() for c in chart.figure.axes[0].collections if isinstance(c, PathCollection)
    ]
    assert sum(len(o) for o in offsets) == 1000
    for a, b in zip(
        offsets,
        [
            c.get_offsets()
            for c in again.figure.axes[0].collections
            if isinstance(c, PathCollection)
        ],
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)
    improved = int(np.sum(post - pre > 8.0))
    assert f"{improved:,} improved" in chart.alt
    assert "Points show 1,000 of the 30,000" in chart.alt


@pytest.mark.parametrize("bad", [0, -1, float("nan"), "wide"])
def test_reliable_change_scatter_rejects_bad_threshold(bad):
    with pytest.raises(ValueError, match="threshold must be a positive number"):
        plots.reliable_change_scatter([1, 2], [3, 4], bad, "wellbeing")


# --------------------------------------------------------------------------- category bars


@pytest.fixture
def sdq_bands() -> pd.DataFrame:
    return pd.DataFrame(
        {"Before": [4, "c", 6, 12], "After": [10, 6, "c", 5]},
        index=["Close to average", "Slightly raised", "High", "Very high"],
    )


def test_category_bars_suppressed_cells(sdq_bands):
    chart = plots.category_bars(sdq_bands, "SDQ band")
    # "suppressed", never "fewer than 5": a cell may be hidden only to protect another.
    assert "Slightly raised: before suppressed, after 6" in chart.alt
    assert "High: before 6, after suppressed" in chart.alt
    assert "fewer than" not in chart.alt
    assert "Close to average: before 4, after 10" in chart.alt
    texts = _texts(chart)
    assert "Before: c" in texts
    assert "After: c" in texts
    assert "Before: 12" in texts
    # A suppressed cell is no bar at all: 8 cells, 2 suppressed, 6 bars, none of width 0.
    bars = [p for p in chart.figure.axes[0].patches if isinstance(p, Rectangle)]
    assert sorted(p.get_width() for p in bars) == [4, 5, 6, 6, 10, 12]
    # No totals at all: only the table's own numbers are said.
    assert "Totals" not in chart.alt


def test_category_bars_says_no_totals():
    table = pd.DataFrame(
        {"Before": [9, 15], "After": ["c", 21]},
        index=["Persistently absent", "Not persistently absent"],
    )
    chart = plots.category_bars(table, "persistent absence", noun="young people")
    assert chart.alt.endswith("Not persistently absent: before 15, after 21.")
    assert "24" not in chart.alt
    assert "Number of young people" in _texts(chart)


def test_category_bars_threshold_wording_and_missing():
    table = pd.DataFrame({"Before": [" c ", None], "After": [np.nan, 7]}, index=["Yes", "No"])
    chart = plots.category_bars(table, "EHCP", suppression_threshold=10)
    assert "Yes: before suppressed, after no data" in chart.alt
    assert "10" not in chart.alt
    assert "No: before no data, after 7" in chart.alt


@pytest.mark.parametrize("bad", ["x", "<5", -3])
def test_category_bars_rejects_other_values(bad):
    table = pd.DataFrame({"Before": [bad, 4], "After": [3, 4]}, index=["a", "b"])
    with pytest.raises(ValueError, match=r"cell \('a', 'Before'\)"):
        plots.category_bars(table, "bands")


# --------------------------------------------------------------------------- forest plot


def test_estimate_forest_alt_and_labels():
    table = pd.DataFrame(
        {
            "outcome": ["Feelings about school", "Self-regard", "Preparedness for learning"],
            "estimate": [2.34, "c", -1.25],
            "lower_ci": [-0.51, "c", -3.0],
            "upper_ci": [5.1, "c", 0.44],
            "confidence_level": 0.95,
        }
    )
    chart = plots.estimate_forest(table, "change in PASS factors", unit="points")
    assert "estimates with 95% confidence intervals, and a line at 0.0 (no change)" in chart.alt
    assert f"Feelings about school: +2.3 points (CI {MINUS}0.5 to +5.1)" in chart.alt
    assert "Self-regard: suppressed;" in chart.alt
    assert f"Preparedness for learning: {MINUS}1.2 points (CI {MINUS}3.0 to +0.4)" in chart.alt
    texts = _texts(chart)
    assert "c" in texts
    assert f"+2.3 points ({MINUS}0.5 to +5.1)" in texts
    points = [line for line in chart.figure.axes[0].get_lines() if line.get_marker() == "o"]
    assert len(points) == 2


def test_estimate_forest_names_missing_columns():
    with pytest.raises(
        ValueError, match="lacks column\\(s\\) lower_ci, upper_ci; found outcome, estimate"
    ):
        plots.estimate_forest(pd.DataFrame({"outcome": ["a"], "estimate": [1.0]}), "change")


# --------------------------------------------------------------------------- empty and bad input


@pytest.mark.parametrize(
    ("make", "what"),
    [
        (lambda: plots.before_after([], [], "attendance"), "Slope chart of attendance"),
        (
            lambda: plots.before_after([np.nan, 50], [60, None], "attendance"),
            "Slope chart of attendance",
        ),
        (
            lambda: plots.change_distribution([], "attendance", "%"),
            "Histogram of the change in attendance",
        ),
        (
            lambda: plots.change_distribution(
                pd.Series([pd.NA], dtype="Float64"), "attendance", "%"
            ),
            "Histogram of the change in attendance",
        ),
        (
            lambda: plots.reliable_change_scatter([], [], 5.0, "SDQ total"),
            "Scatter plot of SDQ total before and after",
        ),
        (
            lambda: plots.category_bars(pd.DataFrame({"Before": [], "After": []}), "SDQ band"),
            "Bar chart of SDQ band",
        ),
        (
            lambda: plots.estimate_forest(
                pd.DataFrame(columns=["outcome", "estimate", "lower_ci", "upper_ci"]), "change"
            ),
            "Forest plot of change",
        ),
    ],
)
def test_empty_input_says_no_data(make, what):
    chart = make()
    assert chart.alt == f"{what}: no data to show."
    assert "No data to show" in _texts(chart)
    assert plots.to_png(chart).startswith(b"\x89PNG")


def test_text_in_numeric_input_is_an_error_not_a_missing_value():
    with pytest.raises(ValueError, match=r"pre must hold numbers .*'58%'"):
        plots.before_after(["58%", 60], [70, 80], "attendance")
    with pytest.raises(ValueError, match="same length; got 2 and 3"):
        plots.before_after([1, 2], [1, 2, 3], "attendance")


def test_nullable_and_series_input():
    pre = pd.Series([50, None, 70], dtype="Int64")
    post = pd.Series([60.0, 65.0, None], dtype="Float64")
    chart = plots.before_after(pre, post, "attendance")
    assert "for 1 child with both scores: mean 50% before, 60% after" in chart.alt
    assert "2 children without both scores are not shown." in chart.alt


# --------------------------------------------------------------------------- PNG and display


def test_png_is_small_sharp_white_and_reproducible():
    pre, post = _attendance(30)
    chart = plots.before_after(pre, post, "attendance")
    png = plots.to_png(chart)
    assert png == plots.to_png(plots.before_after(pre, post, "attendance"))
    chunks = _png_chunks(png)
    width, height = struct.unpack(">II", dict(chunks)[b"IHDR"][:8])
    assert 600 <= width <= 1000 and 300 <= height <= 700
    (x_ppm, _, unit) = struct.unpack(">IIB", dict(chunks)[b"pHYs"])
    assert unit == 1 and round(x_ppm * 0.0254) == plots.PNG_DPI
    text_chunks = [data for kind, data in chunks if kind in (b"tEXt", b"iTXt", b"zTXt", b"tIME")]
    assert not any(b"Software" in data or b"matplotlib" in data.lower() for data in text_chunks)
    assert all(kind != b"tIME" for kind, _ in chunks)


def _display_outputs(chart: plots.Chart):
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    InteractiveShell.instance()
    try:
        with capture_output() as captured:
            plots.display(chart)
        return captured.outputs, captured.stdout
    finally:
        InteractiveShell.clear_instance()


def test_display_puts_alt_where_the_template_reads_it():
    chart = plots.before_after([50, 60, 55], [70, 80, 50], "attendance")
    outputs, stdout = _display_outputs(chart)
    assert len(outputs) == 1
    assert outputs[0].metadata["image/png"]["alt"] == chart.alt
    assert outputs[0].data["text/plain"] == chart.alt
    assert "<Figure" not in stdout
    import base64

    assert base64.b64decode(outputs[0].data["image/png"]) == plots.to_png(chart)


def test_charts_never_register_with_pyplot():
    import matplotlib.pyplot as plt

    plt.close("all")
    chart = plots.before_after([50, 60], [70, 80], "attendance")
    _display_outputs(chart)
    assert plt.get_fignums() == []


@pytest.mark.slow
def test_display_in_a_real_kernel():
    """Run in a python3 kernel (inline backend, as papermill does) and read the output."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    source = (
        "from dspl_eval import plots\n"
        "chart = plots.before_after([50, 60, 55], [70, 80, 50], 'attendance')\n"
        "plots.display(chart)\n"
        "print(repr(chart.alt))"
    )
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nbclient.NotebookClient(notebook, kernel_name="python3", timeout=60).execute()
    outputs = notebook.cells[0].outputs
    images = [o for o in outputs if o.output_type == "display_data"]
    assert len(images) == 1
    alt = images[0].metadata["image/png"]["alt"]
    assert alt.startswith("Slope chart of attendance for 3 children with both scores")
    streams = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert streams.strip() == repr(alt)
    assert "<Figure size" not in str(outputs)


# --------------------------------------------------------------------------- shared fixture


@pytest.fixture
def all_charts(sdq_bands) -> list[plots.Chart]:
    pre, post = _attendance(80)
    forest = pd.DataFrame(
        {
            "outcome": ["a", "b"],
            "estimate": [1.0, -2.0],
            "lower_ci": [0.2, -3.0],
            "upper_ci": [1.8, -1.0],
        }
    )
    return [
        plots.before_after(pre, post, "attendance"),
        plots.change_distribution(post - pre, "attendance", "%"),
        plots.change_distribution(np.round(post - pre), "attendance", "%", higher_is_better=False),
        plots.reliable_change_scatter(pre, post, 12.0, "attendance", unit="%"),
        plots.category_bars(sdq_bands, "SDQ band"),
        plots.estimate_forest(forest, "change"),
        plots.means_chart(
            pd.DataFrame(
                {
                    "when": ["Before", "After"],
                    "mean": [float(np.mean(pre)), float(np.mean(post))],
                    "lower_ci": [50.0, 70.0],
                    "upper_ci": [60.0, 80.0],
                    "n": [80, 80],
                }
            ),
            "attendance",
        ),
        plots.binned_histogram(plots.histogram_table(post - pre, 5), "attendance", "%"),
    ]


def test_format_uses_true_minus_and_no_negative_zero():
    assert plots._fmt(-3.25, "points", 1, sign=True) == f"{MINUS}3.2 points"
    assert plots._fmt(-0.04, "", 1, sign=True) == "0.0"
    assert plots._fmt_change(27.4, "%") == "+27 percentage points"
    # Text colour: WCAG 1.4.3 asks 4.5:1 for text; GOV.UK black on white is about 19.6:1.
    assert _contrast(plots.TEXT, "#FFFFFF") >= 4.5


# --------------------------------------------------------------------------- commissioner charts


@pytest.fixture
def means_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "when": ["Before", "After"],
            "mean": [58.347, 84.912],
            "lower_ci": [52.118, 80.455],
            "upper_ci": [64.576, 89.369],
            "n": [24, 24],
            "confidence_level": [0.95, 0.95],
        }
    )


@pytest.fixture
def bins_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "bin_low": [-20.0, -7.5, 0.0, 12.5],
            "bin_high": [-7.5, 0.0, 12.5, 30.0],
            "n": [6, 0, 11, "c"],
        }
    )


def _commissioner_charts(sdq_bands, means_table, bins_table) -> list[plots.Chart]:
    forest = pd.DataFrame(
        {
            "outcome": ["Feelings about school", "Self-regard"],
            "estimate": [2.34, "c"],
            "lower_ci": [-0.51, "c"],
            "upper_ci": [5.1, "c"],
            "n": [17, "c"],
        }
    )
    return [
        plots.means_chart(means_table, "attendance", "%"),
        plots.binned_histogram(bins_table, "attendance", "%"),
        plots.category_bars(sdq_bands, "SDQ band"),
        plots.estimate_forest(forest, "change in PASS factors", unit="points"),
    ]


@pytest.fixture
def commissioner_charts(sdq_bands, means_table, bins_table) -> list[plots.Chart]:
    return _commissioner_charts(sdq_bands, means_table, bins_table)


def test_chart_metadata_is_the_table_and_plain_json(all_charts):
    import json

    for chart in all_charts:
        meta = plots.to_image(chart).metadata
        assert meta["alt"] == chart.alt
        block = meta["dspl-chart"]
        assert block == plots.chart_metadata(chart)
        assert set(block) == {"kind", "per_person", "columns", "rows", "counts"}
        assert json.loads(json.dumps(block, allow_nan=False)) == block  # plain Python types
        assert block["kind"] == chart.kind and block["per_person"] is chart.per_person
        assert block["columns"] == [str(c) for c in chart.data.columns]
        assert len(block["rows"]) == len(chart.data)
        assert set(block["counts"]) <= set(block["columns"])
        assert block["counts"] or chart.kind == "forest"  # estimates only, no n column
        for row in block["rows"]:
            for column, value in zip(block["columns"], row, strict=True):
                if column in block["counts"]:
                    assert value == "c" or value is None or type(value) is int, (column, value)


def test_display_carries_the_chart_data(means_table):
    chart = plots.means_chart(means_table, "attendance")
    outputs, _ = _display_outputs(chart)
    assert outputs[0].metadata["image/png"]["dspl-chart"] == plots.chart_metadata(chart)
    assert chart._repr_png_()[1]["dspl-chart"] == plots.chart_metadata(chart)


def test_per_person_charts_say_so(all_charts):
    kinds = {chart.kind: chart.per_person for chart in all_charts}
    assert kinds == {
        "slope": True,
        "change_distribution": True,
        "scatter": True,
        "category_bars": False,
        "forest": False,
        "means": False,
        "histogram": False,
    }


def test_a_chart_made_by_hand_is_per_person_unless_it_says_otherwise():
    from matplotlib.figure import Figure

    chart = plots.Chart(figure=Figure(), alt="x", title="x")
    assert chart.per_person is True and chart.kind == "custom"
    assert plots.chart_metadata(chart)["rows"] == []
    with pytest.raises(ValueError, match="counts names column"):
        plots.Chart(
            figure=Figure(), alt="x", title="x", data=pd.DataFrame({"a": [1]}), counts=("n",)
        )


def test_means_chart_metadata_equals_the_table(means_table):
    chart = plots.means_chart(means_table, "attendance")
    block = plots.chart_metadata(chart)
    assert block["columns"] == list(means_table.columns)
    assert block["rows"] == [list(r) for r in means_table.itertuples(index=False, name=None)]
    assert block["counts"] == ["n"]
    means_table.loc[0, "n"] = 99  # the chart keeps its own copy
    assert plots.chart_metadata(chart) == block


def test_binned_histogram_metadata_equals_the_table(bins_table):
    chart = plots.binned_histogram(bins_table, "attendance", "%")
    block = plots.chart_metadata(chart)
    assert block["columns"] == ["bin", "bin_low", "bin_high", "n"]
    assert [r[1:] for r in block["rows"]] == [
        list(r) for r in bins_table.itertuples(index=False, name=None)
    ]
    assert block["rows"][0][0] == f"{MINUS}20 to {MINUS}7.5"


def test_category_bars_metadata_is_the_display_table(sdq_bands):
    sdq_bands.index.name = "Band"
    block = plots.chart_metadata(plots.category_bars(sdq_bands, "SDQ band"))
    assert block["columns"] == ["Band", "Before", "After"]
    assert block["counts"] == ["Before", "After"]
    assert block["rows"] == [
        [i, *r] for i, r in zip(sdq_bands.index, sdq_bands.values.tolist(), strict=True)
    ]


def test_forest_metadata_has_estimates_and_counts(commissioner_charts):
    block = plots.chart_metadata(commissioner_charts[3])
    assert block["kind"] == "forest" and block["counts"] == ["n"]
    assert block["rows"] == [
        ["Feelings about school", 2.34, -0.51, 5.1, 17],
        ["Self-regard", "c", "c", "c", "c"],
    ]


@pytest.mark.parametrize(
    "builder",
    [plots.means_chart, plots.binned_histogram, plots.category_bars, plots.estimate_forest],
)
def test_commissioner_builders_take_only_a_table(builder):
    import inspect

    parameters = list(inspect.signature(builder).parameters.values())
    assert parameters[0].name == "table"
    assert parameters[0].annotation in ("pd.DataFrame", pd.DataFrame)
    # Nothing else could carry person-level values: labels, words, flags, a threshold.
    allowed = {"str", "bool", "int", "float", "Mapping[str, str] | None"}
    allowed |= {"Mapping[tuple[Any, Any], str] | None", "str | None"}
    assert {str(p.annotation) for p in parameters[1:]} <= allowed
    pre, _ = _attendance(30)
    for not_a_table in (pre, list(pre), pd.Series(pre)):
        with pytest.raises(ValueError, match="DataFrame"):
            builder(not_a_table, "attendance")


# Numbers drawn or said ⊆ numbers in the chart's table ------------------------------

_NUMBER = __import__("re").compile(r"\d+(?:,\d{3})*(?:\.\d+)?")


def _allowed_numbers(data: pd.DataFrame) -> set[str]:
    """Every way a table's number may be written: 0, 1 or 2 decimals, or exactly."""
    allowed: set[str] = set()
    for column in data.columns:
        for value in data[column]:
            if isinstance(value, str):
                allowed |= {m.replace(",", "") for m in _NUMBER.findall(value)}
                continue
            if value is None or (isinstance(value, float) and np.isnan(value)):
                continue
            scale = 100 if column == "confidence_level" else 1
            number = abs(float(value)) * scale
            allowed |= {f"{number:.{k}f}" for k in range(3)} | {f"{number:.10g}"}
    return allowed


def _value_axis_ticks(chart: plots.Chart) -> set[int]:
    """Tick labels of an axis in the measure's unit (means, forest): a scale, not counts."""
    ax = chart.figure.axes[0]
    if chart.kind == "means":
        return {id(t) for t in ax.yaxis.get_ticklabels()}
    if chart.kind == "forest":
        return {id(t) for t in ax.xaxis.get_ticklabels()}
    return set()


def _numbers_shown(chart: plots.Chart) -> list[str]:
    skip = _value_axis_ticks(chart)
    drawn = [
        t.get_text()
        for t in chart.figure.findobj(Text)
        if t.get_visible() and t.get_text() and id(t) not in skip
    ]
    return [m.replace(",", "") for text in [chart.alt, *drawn] for m in _NUMBER.findall(text)]


def test_commissioner_charts_show_only_the_tables_numbers(commissioner_charts):
    for chart in commissioner_charts:
        allowed = _allowed_numbers(chart.data)
        extra = [n for n in _numbers_shown(chart) if n not in allowed]
        # The forest's line of no change is at 0.0, a parameter, not a count.
        extra = [n for n in extra if not (chart.kind == "forest" and n == "0.0")]
        assert not extra, (chart.kind, extra, chart.alt)


def test_numbers_check_catches_a_planted_number(means_table):
    chart = plots.means_chart(means_table, "attendance")
    chart.figure.axes[0].text(0, 0, "3 fell")
    assert "3" in _numbers_shown(chart)
    assert "3" not in _allowed_numbers(chart.data)


def test_commissioner_charts_never_say_fewer_than(commissioner_charts):
    for chart in commissioner_charts:
        assert "fewer than" not in chart.alt
        has_c = (chart.data == "c").any().any()
        assert ("suppressed" in chart.alt) == bool(has_c), chart.kind


def test_means_chart_draws_points_intervals_and_labels(means_table):
    chart = plots.means_chart(means_table, "attendance")
    assert chart.title == "Mean attendance before and after"
    assert chart.alt == (
        "Chart of the mean attendance before and after with 95% confidence intervals. "
        "Before: mean 58% (CI 52% to 65%), 24 children; "
        "After: mean 85% (CI 80% to 89%), 24 children."
    )
    texts = _texts(chart)
    assert "Mean 58% (52% to 65%)" in texts and "Mean 85% (80% to 89%)" in texts
    assert "Before\n24 children" in texts
    ax = chart.figure.axes[0]
    points = [line for line in ax.get_lines() if line.get_marker() == "o"]
    assert [line.get_ydata()[0] for line in points] == [58.347, 84.912]
    intervals = [c for c in ax.collections if isinstance(c, LineCollection)]
    tops = sorted(seg[:, 1].max() for c in intervals for seg in c.get_segments())
    assert 64.576 in tops and 89.369 in tops


def test_means_chart_suppressed_row_is_not_drawn(means_table):
    means_table = means_table.astype({"mean": object, "n": object})
    means_table.loc[1, ["mean", "n"]] = ["c", "c"]
    chart = plots.means_chart(
        means_table, "SDQ total", "points", higher_is_better=False, noun="young people"
    )
    assert "After: suppressed." in chart.alt and chart.alt.endswith("Lower scores are better.")
    assert "84" not in chart.alt and "80" not in chart.alt  # its interval goes too
    ax = chart.figure.axes[0]
    assert len([line for line in ax.get_lines() if line.get_marker() == "o"]) == 1
    assert "c" in _texts(chart) and "After\nc" in _texts(chart)
    assert plots.chart_metadata(chart)["rows"][1] == ["After", "c", "c", "c", "c", 0.95]


def test_means_chart_reason_words_and_checks(means_table):
    means_table["n"] = means_table["n"].astype(object)
    means_table.loc[1, "n"] = "c"
    chart = plots.means_chart(
        means_table, "attendance", reasons={"After": "suppressed to protect another cell"}
    )
    assert "After: suppressed to protect another cell." in chart.alt
    with pytest.raises(ValueError, match="may not contain digits"):
        plots.means_chart(means_table, "attendance", reasons={"After": "fewer than 5"})
    with pytest.raises(ValueError, match="not suppressed"):
        plots.means_chart(means_table, "attendance", reasons={"Before": "suppressed"})


@pytest.mark.parametrize("small", [1, 3, 4])
def test_commissioner_builders_refuse_a_small_count(means_table, bins_table, small):
    means_table.loc[0, "n"] = small
    with pytest.raises(ValueError, match="below the suppression threshold") as caught:
        plots.means_chart(means_table, "attendance")
    assert str(small) not in str(caught.value)  # the error does not repeat the count
    bins_table["n"] = [6, small, 11, 5]
    with pytest.raises(ValueError, match="below the suppression threshold"):
        plots.binned_histogram(bins_table, "attendance", "%")
    # A higher threshold refuses more.
    bins_table["n"] = [6, 0, 11, 5]
    with pytest.raises(ValueError, match="below the suppression threshold"):
        plots.binned_histogram(bins_table, "attendance", "%", suppression_threshold=10)


def test_binned_histogram_bars_labels_and_suppressed_bin(bins_table):
    chart = plots.binned_histogram(bins_table, "attendance", "%", noun="young people")
    ax = chart.figure.axes[0]
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    # Empty and suppressed bins are no bar; the others are exactly their bin.
    assert [(b.get_x(), b.get_x() + b.get_width(), b.get_height()) for b in bars] == [
        (-20.0, -7.5, 6),
        (0.0, 12.5, 11),
    ]
    assert ax.get_yticks().size == 0  # no count scale: every bar carries its count
    texts = _texts(chart)
    assert {"6", "0", "11", "c"} <= set(texts)
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        f"{MINUS}20",
        f"{MINUS}7.5",
        "0",
        "12.5",
        "30",
    ]
    assert chart.alt.endswith(
        f"{MINUS}20 to {MINUS}7.5: 6; {MINUS}7.5 to 0: 0; 0 to 12.5: 11; 12.5 to 30: suppressed."
    )
    assert "percentage points" in chart.alt
    # Colour and hatching from the edges only: falls orange and hatched when higher is better.
    assert to_rgb(bars[0].get_facecolor()) == to_rgb(plots.WORSE) and bars[0].get_hatch()
    assert to_rgb(bars[1].get_facecolor()) == to_rgb(plots.IMPROVED)


def test_binned_histogram_rejects_overlapping_bins(bins_table):
    bins_table.loc[1, "bin_low"] = -10.0
    with pytest.raises(ValueError, match="not overlap"):
        plots.binned_histogram(bins_table, "attendance", "%")
    with pytest.raises(ValueError, match="lacks column"):
        plots.binned_histogram(bins_table.drop(columns="n"), "attendance", "%")


def test_commissioner_pngs_are_reproducible(sdq_bands, means_table, bins_table):
    first = [plots.to_png(c) for c in _commissioner_charts(sdq_bands, means_table, bins_table)]
    again = [plots.to_png(c) for c in _commissioner_charts(sdq_bands, means_table, bins_table)]
    assert first == again
    for png in first:
        assert all(kind != b"tIME" for kind, _ in _png_chunks(png))


def test_empty_commissioner_tables_say_no_data():
    means = pd.DataFrame(columns=["when", "mean", "lower_ci", "upper_ci", "n"])
    chart = plots.means_chart(means, "attendance")
    assert chart.alt == "Chart of the mean attendance: no data to show."
    assert chart.kind == "means" and chart.per_person is False
    bins = pd.DataFrame(columns=["bin_low", "bin_high", "n"])
    chart = plots.binned_histogram(bins, "attendance", "%")
    assert chart.alt == "Histogram of the change in attendance: no data to show."


# merge_bins ------------------------------------------------------------------------


def _count_in(values: np.ndarray, bins: list[tuple[float, float]]) -> list[int]:
    """People per bin, [low, high) except the last, closed — counted here, not by numpy."""
    out = []
    for k, (low, high) in enumerate(bins):
        last = k == len(bins) - 1
        out.append(int(np.sum((values >= low) & ((values <= high) if last else (values < high)))))
    return out


def _check_merged(values: np.ndarray, threshold: int) -> list[tuple[float, float]]:
    bins = plots.merge_bins(values, threshold)
    assert bins
    for (_, high), (low, _) in itertools.pairwise(bins):
        assert high == low  # adjacent
    assert all(low < high for low, high in bins)
    assert bins[0][0] <= values.min() and bins[-1][1] >= values.max()
    counts = _count_in(values, bins)
    assert sum(counts) == values.size  # cover every value, each once
    assert all(c == 0 or c >= threshold for c in counts), (bins, counts)
    return bins


def test_merge_bins_property():
    hypothesis = pytest.importorskip("hypothesis")
    st = pytest.importorskip("hypothesis.strategies")

    values = st.one_of(
        st.lists(st.integers(-40, 40), min_size=1, max_size=300),
        st.lists(
            st.floats(-500, 500, allow_nan=False, allow_subnormal=False), min_size=1, max_size=300
        ),
    )

    @hypothesis.settings(max_examples=300, deadline=None)
    @hypothesis.given(values=values, threshold=st.integers(1, 12))
    def check(values, threshold):
        array = np.array(values, dtype=float)
        if array.size < threshold:
            with pytest.raises(ValueError, match="fewer values than the suppression threshold"):
                plots.merge_bins(array, threshold)
            return
        _check_merged(array, threshold)
        table = plots.histogram_table(array, threshold)
        assert list(table["n"]) == _count_in(array, plots.merge_bins(array, threshold))

    check()


def test_merge_bins_keeps_the_fine_bins_when_they_are_big_enough():
    rng = np.random.default_rng(1)
    change = np.round(rng.normal(3, 6, 4000))
    bins = _check_merged(change, 5)
    assert (-0.5, 0.5) in bins  # "no change" is still its own bin
    assert len(bins) >= 10


def test_merge_bins_small_data_and_missing_values():
    assert plots.merge_bins([], 5) == []
    assert plots.merge_bins([np.nan, None], 5) == []
    bins = plots.merge_bins([1, 2, 3, 4, 5, np.nan], 5)
    assert len(bins) == 1
    with pytest.raises(ValueError, match="fewer values"):
        plots.merge_bins([1, 2, 3], 5)


def test_histogram_table_draws_as_a_commissioner_histogram():
    rng = np.random.default_rng(9)
    change = rng.normal(4, 9, 60).round(1)
    table = plots.histogram_table(change, 5)
    assert list(table.columns) == ["bin_low", "bin_high", "n"]
    assert sum(table["n"]) == 60
    chart = plots.binned_histogram(table, "attendance", "%")
    assert chart.per_person is False
    assert not [n for n in _numbers_shown(chart) if n not in _allowed_numbers(chart.data)]
