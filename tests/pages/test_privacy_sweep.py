"""No personal data to the ``lecture`` role (README « Données personnelles »; issue 10, item 8).

Every page of the navigation of ``lecture`` is rendered as ``lecture`` on the S demo territory and driven through
its options: each radio, select box, multiselect, segmented control, keyed tab, checkbox, button and search box,
one choice at a time, and the widgets a choice reveals in turn. After every run the whole output — every text of
every element (titles, markdown, captions, metrics, alerts, widget labels and options, tables as their data,
charts as their spec and data) and every download the page offers (CSV and Excel files, PDFs, SVG images, built
as a click would build them) — is searched for every personal value of the demo as displayed: phones with and
without spaces, e-mails, postal addresses, birth dates (``dd/mm/yyyy`` and ISO), PLIE identifiers, free-text notes
on participants, contracts and follow-ups, phone-check comments, refusal reasons, candidacy step comments and
eligibility reasons.

The demo leaves some of those fields blank: the fixture fills them with marked values (« CANARI… »), and gives
some running contracts, six-month situations and candidacies to the ``lecture`` user so that « Les miens » and the
home page's to-do list have rows.

Large select boxes are sampled (their first, second, middle and last choices): the screens behind their choices
are one and the same code, and every personal field of the demo carries a value to find. Dates and numbers keep
their defaults; the search boxes get the name of a person the ``lecture`` user follows. PNG images are neither
built nor read (their chart is searched as drawn, from its spec and data). A page's run that fails is an error of
the sweep too."""

from __future__ import annotations

import hashlib
import io
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pyarrow as pa
import pytest
import streamlit as st
from google.protobuf.descriptor import FieldDescriptor
from pypdf import PdfReader
from sqlmodel import Session
from streamlit.delta_generator import DeltaGenerator
from streamlit.runtime.state.common import user_key_from_element_id
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import element_tree as tree_module

from clausier import db, demo
from models.enums import Role
from tests.pages.conftest import LOGINS, logged_in, open_url_path
from tests.personal_data import Needles, fill_blank_personal_fields, personal_values
from ui.navigation import specs_for

LECTURE = LOGINS[Role.LECTURE]
MAX_DEPTH = 4  # choices nested in choices
RUN_BUDGET = 250  # runs of one page at most (the sweep fails beyond: raise it, or sample more)
SAMPLE_ALL_UP_TO = 8  # choices of a widget all tried up to this many; beyond, four of them
SKIPPED_MIMES = ("image/png",)


# --- what a run shows -------------------------------------------------------------------------------------------


def _arrow_text(data: bytes) -> str | None:
    try:
        table = pa.ipc.open_stream(data).read_all()
    except (pa.ArrowInvalid, OSError):
        return None
    return table.to_pandas().to_csv(index=False)


def _repeated(fd: FieldDescriptor) -> bool:
    return fd.is_repeated if hasattr(fd, "is_repeated") else fd.label == FieldDescriptor.LABEL_REPEATED


def _proto_texts(message) -> Iterator[str]:
    """Every string of a protobuf message, its Arrow tables (data frames, chart data) as CSV text."""
    for fd, value in message.ListFields():
        values = value if _repeated(fd) else [value]
        for item in values:
            if fd.type == FieldDescriptor.TYPE_STRING:
                yield item
            elif fd.type == FieldDescriptor.TYPE_BYTES:
                text = _arrow_text(item)
                if text is not None:
                    yield text
            elif fd.type == FieldDescriptor.TYPE_MESSAGE:
                yield from _proto_texts(item)


def _nodes(node) -> Iterator[Any]:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


def _xlsx_text(data: bytes) -> str:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    parts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                if isinstance(value, datetime | date):
                    parts.append(f"{value.strftime('%d/%m/%Y')} {value.isoformat()}")
                elif value is not None:
                    parts.append(str(value))
    return "\n".join(parts)


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def download_text(file_name: str, mime: str, data: bytes) -> str | None:
    """The text a downloaded file holds; None for an image."""
    name = (file_name or "").lower()
    if mime in SKIPPED_MIMES or name.endswith(".png"):
        return None
    if name.endswith(".pdf") or mime == "application/pdf":
        return _pdf_text(data)
    if name.endswith(".xlsx"):
        return _xlsx_text(data)
    if zipfile.is_zipfile(io.BytesIO(data)):
        raise AssertionError(f"Téléchargement d'un type non lu par le test : {file_name} ({mime})")
    return data.decode("utf-8-sig")


@dataclass
class Download:
    label: str
    file_name: str
    mime: str
    data: bytes


_captured: list[Download] = []


@pytest.fixture
def capture_downloads(monkeypatch: pytest.MonkeyPatch) -> list[Download]:
    """Every download button drawn keeps the file a click would give (a deferred one is built at once)."""
    original = DeltaGenerator.download_button

    def download_button(self, label, data, file_name=None, mime=None, *args, **kwargs):
        if mime in SKIPPED_MIMES:  # not read (see the module's docstring): not built either
            _captured.append(Download(label, file_name or "", mime, b""))
            return original(self, label, data, file_name, mime, *args, **kwargs)
        content = data() if callable(data) else data
        if hasattr(content, "read"):
            content = content.read()
        if isinstance(content, str):
            content = content.encode("utf-8")
        _captured.append(Download(label, file_name or "", mime or "", bytes(content)))
        return original(self, label, data, file_name, mime, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", download_button)
    monkeypatch.setattr(st, "download_button", lambda *a, **k: st._main.download_button(*a, **k))
    _captured.clear()
    yield _captured
    _captured.clear()


# --- driving a page ----------------------------------------------------------------------------------------------


class Shown(str):
    """A choice given by its label, as the browser sends it (AppTest otherwise passes it to ``format_func``)."""


@pytest.fixture
def choices_by_label(monkeypatch: pytest.MonkeyPatch) -> None:
    original = tree_module._format_value_for_widget

    def format_value(format_func, value):
        return str(value) if isinstance(value, Shown) else original(format_func, value)

    monkeypatch.setattr(tree_module, "_format_value_for_widget", format_value)


def _sample(n: int) -> list[int]:
    if n <= SAMPLE_ALL_UP_TO:
        return list(range(n))
    return sorted({0, 1, n // 2, n - 1})


@dataclass
class Sweep:
    page: str
    at: AppTest
    needles: Needles
    search_term: str
    runs: int = 0
    seen_chunks: set[str] = field(default_factory=set)
    explored: set[tuple] = field(default_factory=set)
    names: list[str] = field(default_factory=list)  # the widgets driven, as the screen names them
    findings: list[tuple[str, str, str, str]] = field(default_factory=list)  # (path, kind, value, where)
    errors: list[str] = field(default_factory=list)
    downloads: int = 0
    images_skipped: int = 0

    # what the current run shows

    def report(self) -> str:
        """The leaks found, one line per place and kind of value (with one example and how many)."""
        by_place: dict[tuple[str, str, str], list[str]] = {}
        for path, kind, needle, where in self.findings:
            by_place.setdefault((path, kind, where), []).append(needle)
        lines = [
            f"{self.page} › {path} : {kind} dans {where} — {len(set(values))} valeur(s), dont « {values[0]} »"
            for (path, kind, where), values in by_place.items()
        ]
        return f"{len(lines)} fuite(s) de données personnelles vers le rôle lecture :\n" + "\n".join(lines[:40])

    def _scan(self, text: str, where: str, path: list[str], *, squeeze: bool = False) -> None:
        digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
        if digest in self.seen_chunks:
            return
        self.seen_chunks.add(digest)
        for needle, kind in self.needles.find(text, squeeze=squeeze):
            self.findings.append((" › ".join(path) or "(ouverture)", kind, needle, where))

    def collect(self, path: list[str]) -> None:
        if self.at.exception:
            self.errors.append(f"{self.page} › {' › '.join(path)} : {self.at.exception[0].value}")
        for node in _nodes(self.at._tree):
            proto = getattr(node, "proto", None)
            if proto is not None and hasattr(proto, "ListFields"):
                text = "\n".join(_proto_texts(proto))
                if text:
                    self._scan(text, getattr(node, "type", type(node).__name__), path)
        for download in _captured:
            self.downloads += 1
            text = download_text(download.file_name, download.mime, download.data)
            if text is None:
                self.images_skipped += 1
                continue
            self._scan(text, f"le téléchargement « {download.label} » ({download.file_name})", path, squeeze=True)
        _captured.clear()

    def run(self, path: list[str]) -> None:
        if self.runs >= RUN_BUDGET:
            raise AssertionError(f"{self.page} : plus de {RUN_BUDGET} exécutions, le balayage ne finit pas")
        _captured.clear()
        self.at.run()
        self.runs += 1
        self.collect(path)

    # the widgets of the current run

    def _sidebar_ids(self) -> set[str]:
        return {getattr(n, "id", None) for n in _nodes(self.at.sidebar)} - {None}

    def _widgets(self) -> list[Any]:
        """The widgets of the main area a visitor can act on, with the keyed tab bars."""
        sidebar = self._sidebar_ids()
        found = []
        for node in _nodes(self.at.main):
            kind = getattr(node, "type", "")
            if kind in ("radio", "selectbox", "multiselect", "button_group", "checkbox", "toggle", "text_input"):
                pass
            elif kind == "button":
                if getattr(node.proto, "is_form_submitter", False):
                    continue
            elif _tab_container_id(node):
                pass  # a keyed tab bar draws its open tab only (a bar without key draws them all)
            else:
                continue
            if getattr(node, "id", None) in sidebar:
                continue
            if getattr(getattr(node, "proto", None), "disabled", False):
                continue
            found.append(node)
        return found

    def _find(self, ident: str):
        for node in self._widgets():
            if _ident(node) == ident:
                return node
        return None

    def explore(self, path: list[str], depth: int = 0, known: frozenset = frozenset()) -> None:
        """Try each choice of each widget of this run, one at a time, then put the widget back. After a choice,
        the widgets it brought — new ones, or old ones with other choices — are explored in turn, down to
        ``MAX_DEPTH`` levels (``known``: the widgets of the levels above, explored there)."""
        here = [(_ident(w), (_ident(w), tuple(_labels(w)))) for w in self._widgets()]
        below = known | {key for _, key in here}
        for ident, key in here:
            if key in known:
                continue
            widget = self._find(ident)  # in this run's tree: the previous choices may have changed it
            if widget is None:
                continue
            key = (ident, tuple(_labels(widget)))
            if key in self.explored:
                continue
            self.explored.add(key)
            self.names.append(_name(widget))
            actions, restore = _actions(widget, self.search_term)
            for label, act in actions:
                current = self._find(ident)
                if current is None:
                    break
                act(self.at, current)
                step = path + [f"{_name(widget)} = {label}"]
                self.run(step)
                if depth < MAX_DEPTH:
                    self.explore(step, depth + 1, below)
            if restore is not None:
                current = self._find(ident)
                if current is not None:
                    restore(self.at, current)
                    self.run(path + [f"{_name(widget)} rétabli"])


def _tab_container_id(node) -> str:
    proto = getattr(node, "proto", None)
    if proto is None or not hasattr(proto, "WhichOneof"):
        return ""
    try:
        if proto.WhichOneof("type") != "tab_container":
            return ""
    except ValueError:
        return ""
    return proto.tab_container.id


def _ident(node) -> str:
    return _tab_container_id(node) or node.id


def _name(node) -> str:
    if _tab_container_id(node):
        return "onglets"
    return getattr(node, "label", "") or node.id


def _labels(node) -> list[str]:
    if _tab_container_id(node):
        return [child.label for child in node.children.values() if getattr(child, "type", "") == "tab"]
    return list(getattr(node, "options", []) or [])


Action = Callable[[AppTest, Any], None]


def _actions(node, search_term: str) -> tuple[list[tuple[str, Action]], Action | None]:
    """The choices to try on a widget, and how to put it back as it was (None: nothing to put back)."""
    container = _tab_container_id(node)
    if container:
        user_key = user_key_from_element_id(container)
        labels = _labels(node)
        if not user_key or len(labels) < 2:
            return [], None  # a tab bar without key draws every tab: all of them are already in the output

        def set_tab(label: str) -> Action:
            return lambda at, _node: at.session_state.__setitem__(user_key, label)

        return [(label, set_tab(label)) for label in labels[1:]], set_tab(labels[0])
    kind = node.type
    if kind in ("radio", "selectbox"):
        labels = list(node.options)
        current = None if node.value is None else _current_label(node)
        tries = [labels[i] for i in _sample(len(labels)) if labels[i] != current]

        def choose(label: str | None) -> Action:
            return lambda _at, widget: widget.set_value(None if label is None else Shown(label))

        return [(label, choose(label)) for label in tries], choose(current)
    if kind in ("multiselect", "button_group"):
        labels = list(node.options)
        current = list(node.values if kind == "multiselect" else node.formatted_values)
        tries = [labels[i] for i in _sample(len(labels)) if [labels[i]] != current]

        def pick(chosen: list[str]) -> Action:
            def act(_at, widget):
                single = kind == "button_group" and widget._is_single_select()
                if single:
                    widget.set_value(Shown(chosen[0]) if chosen else None)
                else:
                    widget.set_value([Shown(c) for c in chosen])

            return act

        return [(label, pick([label])) for label in tries], pick(current)
    if kind in ("checkbox", "toggle"):
        value = bool(node.value)
        return [(str(not value), lambda _at, w: w.set_value(not value))], lambda _at, w: w.set_value(value)
    if kind == "text_input":
        value = node.value or ""
        return [(search_term, lambda _at, w: w.input(search_term))], lambda _at, w: w.input(value)
    if kind == "button":
        return [("clic", lambda _at, w: w.click())], None
    return [], None


def _current_label(node) -> str:
    return node.options[node.index]


# --- the sweep ----------------------------------------------------------------------------------------------------

LECTURE_PAGES = [spec.url_path for spec in specs_for(Role.LECTURE)]


@pytest.fixture
def lecture_demo(with_users: str) -> tuple[str, Needles, str]:
    engine = db.get_engine(with_users)
    demo.generate(engine, size="S", seed=11, today=date.today())
    with Session(engine) as session:
        person = fill_blank_personal_fields(session, LECTURE)
        needles = personal_values(session)
    return with_users, needles, person


def test_the_sweep_covers_the_whole_navigation_of_lecture():
    """The pages swept are the pages ``lecture`` may open (ui/navigation.py), not a list kept by hand."""
    assert "suivi-emploi" in LECTURE_PAGES and "participants" in LECTURE_PAGES
    assert "import-heures" not in LECTURE_PAGES and "utilisateurs" not in LECTURE_PAGES
    assert len(LECTURE_PAGES) >= 20


def _kinds(sweep: Sweep) -> set[str]:
    return {kind for _path, kind, _value, _where in sweep.findings}


def test_saisie_still_sees_them_and_the_search_finds_them(lecture_demo, capture_downloads, choices_by_label):
    """The search works, and ``saisie`` keeps what it needs: the phones of the team's follow-ups and the notes of
    a contract's log, the phone, check comment and step notes of a candidacy, the contacts of the pool."""
    _url, needles, person = lecture_demo
    at = open_url_path(logged_in(Role.SAISIE).run(), "suivi-emploi")
    sweep = Sweep("suivi-emploi", at, needles, person)
    sweep.run([])
    at.radio(key="fu_week_scope").set_value("Toute l'équipe")
    sweep.run(["Contrats = Toute l'équipe"])
    at.radio(key="fu_view").set_value("Journal d'un contrat")
    sweep.run(["Journal"])
    for label in at.selectbox(key="fu_contract").options[:5]:
        at.selectbox(key="fu_contract").set_value(Shown(label))
        sweep.run(["Journal", label])
    assert {"téléphone", "notes de suivi"} <= _kinds(sweep), sweep.report()

    at = open_url_path(logged_in(Role.SAISIE).run(), "positionnements")
    sweep = Sweep("positionnements", at, needles, person)
    sweep.run([])
    for label in at.selectbox(key="cand_pick").options[:40]:
        at.selectbox(key="cand_pick").set_value(Shown(label))
        sweep.run([label])
        if {"commentaire de vérification", "note d'étape de positionnement"} <= _kinds(sweep):
            break
    assert {"téléphone", "commentaire de vérification", "note d'étape de positionnement"} <= _kinds(sweep)

    at = open_url_path(logged_in(Role.SAISIE).run(), "participants")
    sweep = Sweep("participants", at, needles, person)
    sweep.run([])
    assert {"téléphone", "e-mail", "date de naissance (ISO)"} <= _kinds(sweep)


@pytest.mark.parametrize("url_path", LECTURE_PAGES)
def test_lecture_sees_no_personal_data(url_path, lecture_demo, capture_downloads, choices_by_label):
    _url, needles, person = lecture_demo
    assert len(needles.kinds) > 1500  # phones, e-mails, addresses, birth dates, ids and notes of the demo
    started = time.perf_counter()
    at = logged_in(Role.LECTURE).run()
    at = open_url_path(at, url_path)
    sweep = Sweep(url_path, at, needles, person)
    sweep.run([])
    assert not sweep.errors, sweep.errors
    assert at.title and at.title[0].value, f"{url_path} : la page ne s'est pas affichée"
    sweep.explore([])
    elapsed = time.perf_counter() - started
    print(
        f"\n{url_path}: {sweep.runs} exécutions, {len(sweep.explored)} widgets, {sweep.downloads} téléchargements "
        f"({sweep.images_skipped} images non lues), {elapsed:.1f} s\n  " + " · ".join(dict.fromkeys(sweep.names))
    )
    assert not sweep.errors, "\n".join(sweep.errors[:10])
    if sweep.findings:
        pytest.fail(sweep.report(), pytrace=False)
