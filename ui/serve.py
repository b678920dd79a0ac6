"""Start the Streamlit server for app.py: ``python -m ui.serve [streamlit options]``.

Same as ``streamlit run app.py``, except that Streamlit's legacy "pages directory" mode is off from the first
request on: without it, the very first request of a fresh server for /<page> runs Streamlit's own routing over
the files of pages/ (DESIGN §7) and shows its English "Page not found" dialog over our login form."""

from __future__ import annotations

import sys
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

APP = Path(__file__).resolve().parent.parent / "app.py"


def main(argv: list[str] | None = None) -> int:
    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(APP), *(sys.argv[1:] if argv is None else argv)]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
