"""The layers of README « Organisation du code », held by the build: `lint-imports` reads `.importlinter` and fails
when an import crosses a layer upwards (pages → models, reports → services, rules → database, a page → a page,
a cycle between services…)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_hold():
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " broken" in result.stdout and "0 broken" in result.stdout


def test_the_contracts_cover_the_layers_the_readme_names():
    config = (ROOT / ".importlinter").read_text(encoding="utf-8")
    for contract in ("clausier and models never import streamlit", "pages never import sqlalchemy",
                     "a page never imports a page", "reports never import services", "rules import neither",
                     "no cycle between services", "layers, top to bottom"):  # fmt: skip
        assert contract in config
