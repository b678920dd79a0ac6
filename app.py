"""Clausier — entry point: `streamlit run app.py` (see ui/shell.py)."""

from ui.shell import main

main()
