"""Capture the published tables and chart payloads of the frozen commissioner pages."""

import json
from pathlib import Path

from bs4 import BeautifulSoup

base = Path("/tmp/frozen/reports/2023-24-summer/commissioner")  # the pack built at 96899df
out = Path(__file__).resolve().parent / "expected"
for key in ["ebsa", "elsa", "nqt", "nurture"]:
    soup = BeautifulSoup((base / f"{key}.html").read_text("utf-8"), "html.parser")
    tables = []
    for t in soup.find_all("table"):
        cap = t.find("caption")
        rows = [
            [" ".join(c.get_text(" ", strip=True).split()) for c in tr.find_all(["th", "td"])]
            for tr in t.find_all("tr")
        ]
        tables.append(
            {
                "caption": " ".join(cap.get_text(" ", strip=True).split()) if cap else "",
                "rows": rows,
            }
        )
    charts = [
        json.loads(img["data-dspl-chart"])
        for img in soup.find_all("img")
        if img.has_attr("data-dspl-chart")
    ]
    (out / f"{key}.json").write_text(
        json.dumps(
            {
                "source": f"reports/2023-24-summer/commissioner/{key}.html",
                "tables": tables,
                "charts": charts,
            },
            indent=1,
            ensure_ascii=False,
        )
        + "\n",
        "utf-8",
    )
    print(key, len(tables), len(charts))
