"""Pause Python's cyclic garbage collector while a bulk read builds tens of thousands of short-lived objects.

Reading 25,000 commitments allocates rows, dates and strings by the hundred thousand: the collector then runs its
full passes over the whole heap of the server (Streamlit, the cached tables) several times, a third of the time
of the read at size L (measured in ``bench/bench_home.py``). None of these objects form cycles, so nothing is
lost by collecting after the read. Process-wide and shared by the server's threads: the collector comes back
when the last pause ends, and only if it was on before the first began."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pauses = 0
_was_enabled = True


@contextmanager
def gc_paused() -> Iterator[None]:
    global _pauses, _was_enabled
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()
