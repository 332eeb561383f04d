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


def best_of_interleaved(fns: dict, repeats: int) -> tuple[dict, dict]:
    """Time several implementations round-robin, ``repeats`` rounds, so that a slow
    stretch of a shared machine hits all of them alike. Returns ``({name: best seconds},
    {name: result of its last call})``."""
    best = {name: float("inf") for name in fns}
    results = {}
    for _ in range(max(1, repeats)):
        for name, fn in fns.items():
            start = time.perf_counter()
            results[name] = fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best, results
