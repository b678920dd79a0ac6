"""Browser fixtures: `streamlit run app.py` on a free local port, driven by Playwright with Debian's Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output" / "browser"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    database_url: str
    process: subprocess.Popen
    log: IO[str] | None = None  # the server's output file, closed by stop_server


def start_server(database_url: str, log_path: Path) -> Server:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "CLAUSIER_COOKIE_KEY": "b" * 48}
    log = log_path.open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ui.serve",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",  # an edited file must not reload the app under a running test
            "none",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return Server(url, database_url, process, log)
        except OSError:
            time.sleep(0.2)
    process.kill()
    process.wait()
    log.close()
    raise RuntimeError(f"streamlit n'a pas démarré : {log_path.read_text()}")


def download(page, button_name: str, wait_idle, attempts: int = 3):
    """Click a download button and return the Playwright download.

    A click that lands while Streamlit swaps the deferred file of the previous run is lost now and then (seen in
    CI once in a few hundred runs): a user would click again, so does the test, at most ``attempts`` times. Once
    (a fresh clone's run on a loaded machine) the page's widgets stayed disabled, as Streamlit shows them while
    its connection to the server is being restored: a user would reload the page, so does the test then."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    button = page.get_by_role("button", name=button_name)
    for attempt in range(attempts):
        try:
            with page.expect_download(timeout=15_000) as info:
                button.click(timeout=15_000)
            return info.value
        except PlaywrightTimeout:
            if attempt == attempts - 1:
                raise
            if button.count() and button.first.is_disabled():
                page.reload()
                button.first.wait_for(timeout=60_000)
            wait_idle(page)
    raise AssertionError("unreachable")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    if server.log is not None:
        server.log.close()


@pytest.fixture
def browser(chromium_path: str) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def output_dir(request: pytest.FixtureRequest) -> Path:
    path = OUTPUT / request.node.name
    path.mkdir(parents=True, exist_ok=True)
    return path
