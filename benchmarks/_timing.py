"""The one timing rule every benchmark uses: best wall time of several calls."""

from __future__ import annotations

import time


def best_of(fn, repeats: int):
    """Call ``fn()`` ``repeats`` times; return ``(best seconds, result of the last call)``."""
    best, result = float("inf"), None
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result
