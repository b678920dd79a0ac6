"""An unexpected error in a screen: a French apology with a reference, the traceback in the server log."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _broken_screen() -> None:
    from ui.shell import run_page

    class Page:
        def run(self) -> None:
            raise KeyError("détail interne")

    run_page(Page())


def test_a_screen_that_fails_shows_a_french_apology_not_a_traceback(caplog):
    at = AppTest.from_function(_broken_screen).run(timeout=60)
    assert not at.exception
    assert len(at.error) == 1
    message = at.error[0].value
    assert "Désolé" in message and "référence" in message and "détail interne" not in message
    reference = message.rsplit(" : ", 1)[1].strip().rstrip(".").replace("\\-", "-")
    assert any(reference in r.getMessage() and r.exc_info for r in caplog.records)
