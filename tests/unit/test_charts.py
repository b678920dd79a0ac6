"""Progress charts as data (DESIGN §4): the numbers, the order, the colours; PNG and SVG exports."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from clausier.reports.charts import chart_png, chart_svg, progress_chart, progress_frame
from clausier.rules.progress import STATUS_COLOURS, ProgressStatus, progress

AS_OF = date(2026, 7, 2)
START, END = date(2026, 1, 1), date(2026, 12, 31)
ITEMS = [
    ("Reached", progress(50_000, 60_000, START, END, AS_OF)),
    ("Late small gap", progress(20_000, 1_000, START, END, AS_OF)),
    ("Late big gap", progress(200_000, 10_000, START, END, AS_OF)),
    ("Ahead", progress(100_000, 90_000, START, END, AS_OF)),
]


def _dataset(chart) -> list[dict]:
    spec = chart.to_dict()
    (values,) = spec["datasets"].values()
    return values


def test_chart_data_carries_committed_achieved_and_expected_hours():
    rows = {r["libelle"]: r for r in _dataset(progress_chart(ITEMS, as_of=AS_OF))}
    big = rows["Late big gap"]
    assert (big["engage"], big["realise"], big["attendu"]) == (2_000.0, 100.0, round(200_000 * 183 / 365) / 100)
    assert big["texte"] == "5 % · en retard"
    assert rows["Reached"]["texte"] == "120 % · terminé – atteint"


def test_bars_are_sorted_by_what_needs_attention():
    frame = progress_frame(ITEMS)
    assert list(frame["libelle"]) == ["Late big gap", "Late small gap", "Ahead", "Reached"]
    y = progress_chart(ITEMS, as_of=AS_OF).to_dict()["layer"][0]["encoding"]["y"]
    assert y["sort"] == ["Late big gap", "Late small gap", "Ahead", "Reached"]


def test_colours_follow_the_status_palette():
    color = progress_chart(ITEMS, as_of=AS_OF).to_dict()["layer"][1]["encoding"]["color"]
    mapping = dict(zip(color["scale"]["domain"], color["scale"]["range"], strict=True))
    assert mapping["en retard"] == STATUS_COLOURS[ProgressStatus.LATE]
    assert mapping["terminé – atteint"] == STATUS_COLOURS[ProgressStatus.DONE_REACHED]
    assert color["field"] == "statut"


def test_expected_mark_is_a_tick():
    layers = progress_chart(ITEMS, as_of=AS_OF).to_dict()["layer"]
    assert layers[2]["mark"]["type"] == "tick"
    assert layers[2]["encoding"]["x"]["field"] == "attendu"


def test_title_date_and_filters_are_written_on_the_chart():
    title = progress_chart(ITEMS, title="Avancement", as_of=AS_OF, filters=["Territoire : CUD"]).to_dict()["title"]
    assert title["text"] == "Avancement"
    assert title["subtitle"] == ["Situation au 02/07/2026", "Filtres : Territoire : CUD"]


def test_limit_keeps_the_bars_that_need_attention():
    assert list(progress_frame(ITEMS, limit=1)["libelle"]) == ["Late big gap"]


def test_empty_chart_builds():
    assert progress_chart([], as_of=AS_OF).to_dict()["title"]["text"]


@pytest.fixture(scope="module")
def chart():
    return progress_chart(ITEMS, title="Heures d'insertion par entreprise", as_of=AS_OF, filters=["Territoire : CUD"])


def test_png_export_is_a_png_wide_enough_for_a_slide(chart):
    png = chart_png(chart)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    assert width >= 1200
    assert height > 100


def test_svg_export_is_xml_with_the_title(chart):
    svg = chart_svg(chart)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert "Heures d'insertion par entreprise" in "".join(root.itertext())
