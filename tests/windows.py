"""Test helper: the most events that fall inside any sliding window (how pacing is judged)."""
from __future__ import annotations


def max_in_window(times: list[float], window_s: float) -> int:
    """The largest number of sorted `times` within any span shorter than `window_s`."""
    best, first = 0, 0
    for last, t in enumerate(times):
        while t - times[first] >= window_s:
            first += 1
        best = max(best, last - first + 1)
    return best
