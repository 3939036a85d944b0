"""What the plots and the HTML report read from a report: a protocol, so neither imports LatencyReport back."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["ReportSource"]


class ReportSource(Protocol):
    """The tables, plots and facts a report offers (``LatencyReport`` is the one implementation)."""

    percentile_method: str
    _frame: pd.DataFrame

    def __len__(self) -> int: ...

    def _require(self, columns: Sequence[str]) -> pd.DataFrame: ...

    def summary(self, by: str | Sequence[str] | None = ...) -> pd.DataFrame: ...

    def errors(self, by: str | Sequence[str] | None = ...) -> pd.DataFrame: ...

    def timeline(self, freq: str = ..., *, window: str | None = ...) -> pd.DataFrame: ...

    def info(self) -> dict[str, Any]: ...

    def plot_histogram(self, *, log: bool = ..., bins: int = ...) -> Figure: ...

    def plot_cdf(self, *, by: str | Sequence[str] | None = ..., log: bool = ...) -> Figure: ...

    def plot_percentiles(self, by: str | Sequence[str] | None = ...) -> Figure: ...

    def plot_timeline(self, freq: str = ...) -> Figure: ...

    def plot_errors(self) -> Figure: ...
