"""A chart's PNG takes one draw of its figure, and is the PNG the slow way gave.

:class:`plots.Chart` settles the layout and works out the PNG crop once, when it is made,
and removes the layout engine; :func:`plots.to_png` then passes that crop to ``savefig``,
which draws the figure only to render it. These tests count draws (never time anything)
and compare with what ``savefig(bbox_inches="tight", pad_inches=0.15)`` gives for the
same chart settled the old way (one draw, the layout engine left in place).
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from matplotlib.backend_bases import FigureCanvasBase
from matplotlib.figure import Figure
from PIL import Image

from dspl_eval import plots


def _attendance(n: int = 60, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    pre = rng.uniform(30, 95, n).round(1)
    post = np.clip(pre + rng.normal(15, 15, n), 0, 100).round(1)
    return pre, post


def _hand_made() -> plots.Chart:
    figure = Figure(figsize=(5, 3), layout="constrained")
    ax = figure.add_subplot()
    ax.plot([1, 2, 3], [3, 1, 2])
    ax.set_title("Made by hand")
    return plots.Chart(figure=figure, alt="A line.", title="Made by hand")


def _builders() -> dict[str, Callable[[], plots.Chart]]:
    pre, post = _attendance()
    bands = pd.DataFrame(
        {"Before": [4, "c", 6, 12], "After": [10, 6, "c", 5]},
        index=["Close to average", "Slightly raised", "High", "Very high"],
    )
    means = pd.DataFrame(
        {
            "when": ["Before", "After"],
            "mean": [58.347, 84.912],
            "lower_ci": [52.118, 80.455],
            "upper_ci": [64.576, 89.369],
            "n": [24, 24],
        }
    )
    bins = pd.DataFrame(
        {
            "bin_low": [-20.0, -7.5, 0.0, 12.5],
            "bin_high": [-7.5, 0.0, 12.5, 30.0],
            "n": [6, 0, 11, "c"],
        }
    )
    forest = pd.DataFrame(
        {
            "outcome": ["Feelings about school", "Self-regard"],
            "estimate": [2.34, "c"],
            "lower_ci": [-0.51, "c"],
            "upper_ci": [5.1, "c"],
            "n": [17, "c"],
        }
    )
    return {
        "slope": lambda: plots.before_after(pre, post, "attendance"),
        "change_distribution": lambda: plots.change_distribution(post - pre, "attendance", "%"),
        "scatter": lambda: plots.reliable_change_scatter(pre, post, 12.0, "attendance", unit="%"),
        "category_bars": lambda: plots.category_bars(bands, "SDQ band"),
        "means": lambda: plots.means_chart(means, "attendance", "%"),
        "histogram": lambda: plots.binned_histogram(bins, "attendance", "%"),
        "forest": lambda: plots.estimate_forest(forest, "change", unit="points"),
        "empty": lambda: plots.before_after([], [], "attendance"),
        "custom": _hand_made,
    }


BUILDERS = _builders()


@pytest.fixture
def draws(monkeypatch: pytest.MonkeyPatch) -> list[Figure]:
    """Every full draw of any Figure (``Figure.draw``) from now on, by figure."""
    seen: list[Figure] = []
    original = Figure.draw

    def counting(self: Figure, renderer) -> None:
        seen.append(self)
        original(self, renderer)

    monkeypatch.setattr(Figure, "draw", counting)
    return seen


def _old_way(make: Callable[[], plots.Chart], monkeypatch: pytest.MonkeyPatch) -> bytes:
    """The PNG as it used to be made: one draw to settle, then savefig(bbox_inches="tight")."""
    with monkeypatch.context() as m:
        m.setattr(plots, "_settle", lambda figure: figure.draw_without_rendering())
        chart = make()
    assert chart.figure.get_layout_engine() is not None or chart.kind == "custom"
    buffer = io.BytesIO()
    chart.figure.savefig(
        buffer,
        format="png",
        dpi=plots.PNG_DPI,
        bbox_inches="tight",
        pad_inches=0.15,
        facecolor="white",
        metadata={"Software": None},
    )
    return buffer.getvalue()


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_to_png_draws_the_figure_once(kind: str, draws: list[Figure]) -> None:
    chart = BUILDERS[kind]()
    assert draws == []  # settling lays out and measures; it draws nothing
    plots.to_png(chart)
    assert draws == [chart.figure]
    plots.to_png(chart)
    assert draws == [chart.figure, chart.figure]


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_png_is_what_savefig_tight_gave(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    png = plots.to_png(BUILDERS[kind]())
    old = _old_way(BUILDERS[kind], monkeypatch)
    assert Image.open(io.BytesIO(png)).size == Image.open(io.BytesIO(old)).size
    # Same layout passes, same crop: the very same pixels, not merely the same size.
    assert np.array_equal(_pixels(png), _pixels(old))


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_the_same_chart_always_gives_the_same_png(kind: str) -> None:
    chart = BUILDERS[kind]()
    first = plots.to_png(chart)
    # Drawn again some other way in between: the layout is fixed, nothing moves.
    chart.figure.draw_without_rendering()
    chart.figure.savefig(io.BytesIO(), format="svg")
    assert plots.to_png(chart) == plots.to_png(chart) == first
    assert plots.to_png(BUILDERS[kind]()) == first


def test_a_finished_chart_keeps_no_layout_engine_and_its_own_canvas() -> None:
    chart = BUILDERS["means"]()
    assert chart.figure.get_layout_engine() is None
    # The Agg canvas used while settling is gone again: the chart holds no pixel buffer.
    assert type(chart.figure.canvas) is FigureCanvasBase
    assert chart.figure.dpi == plots.PNG_DPI


def test_another_dpi_is_cropped_afresh(draws: list[Figure]) -> None:
    chart = BUILDERS["category_bars"]()
    png = plots.to_png(chart, dpi=2 * plots.PNG_DPI)
    assert len(draws) == 2  # one to measure at this dpi, one to render
    buffer = io.BytesIO()
    chart.figure.savefig(
        buffer, format="png", dpi=2 * plots.PNG_DPI, bbox_inches="tight", pad_inches=0.15
    )
    assert Image.open(io.BytesIO(png)).size == Image.open(buffer).size
    # The layout is the one made at PNG_DPI (text is not hinted quite in proportion, so the
    # crop at twice the dpi is not exactly twice the size), and the PNG_DPI image is as it was.
    before = plots.to_png(BUILDERS["category_bars"]())
    assert plots.to_png(chart) == before
    width, height = Image.open(io.BytesIO(before)).size
    big_width, big_height = Image.open(io.BytesIO(png)).size
    assert abs(big_width / width - 2) < 0.02 and abs(big_height / height - 2) < 0.02
