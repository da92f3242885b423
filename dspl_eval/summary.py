"""What a report notebook hands to the batch: headlines and tables, as a display payload.

A notebook calls :func:`publish` once, at the end. The payload travels inside the executed
notebook (a display output of its own MIME type, left out of the HTML), so the batch can
build ``index.html`` and ``summary.xlsx`` without re-computing anything. Tables in it are
already suppressed for the report's audience.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

SUMMARY_MIME = "application/vnd.dspl-eval.summary+json"


@dataclass
class SummaryTable:
    """A headline table for the index and the Excel summary (values as shown: ``c`` kept)."""

    name: str  # sheet name: short, no []:*?/\
    title: str
    frame: pd.DataFrame  # first column: row labels
    counts: tuple[str, ...] = ()  # columns holding counts of people (the audit checks them)
    note: str = ""

    def to_json(self) -> dict:
        frame = self.frame.astype(object).where(self.frame.notna(), None)
        return {
            "name": self.name[:31],
            "title": self.title,
            "columns": [str(c) for c in frame.columns],
            "rows": [[_plain(v) for v in row] for row in frame.itertuples(index=False, name=None)],
            "counts": list(self.counts),
            "note": self.note,
        }


def _plain(value: object) -> object:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


@dataclass
class Summary:
    initiative: str
    title: str
    headlines: list[str]
    tables: list[SummaryTable] = field(default_factory=list)
    data_quality: dict[str, int] = field(default_factory=dict)
    audience: str = "commissioner"

    def to_json(self) -> dict:
        return {
            "initiative": self.initiative,
            "title": self.title,
            "headlines": list(self.headlines),
            "tables": [t.to_json() for t in self.tables],
            "data_quality": dict(self.data_quality),
            "audience": self.audience,
        }


def publish(summary: Summary) -> None:
    """Display the summary as a payload the batch reads (not shown in the HTML report)."""
    from IPython.display import display

    display({SUMMARY_MIME: summary.to_json(), "text/plain": ""}, raw=True)
