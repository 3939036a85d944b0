"""The client's latency beside the platform's own: what a caller waited for against ``tTotalExecution``.

The platform's analytics (``client.action_aggregates``, the actions aggregates query) say how long the
org took to run each action; the audit log says how long the caller waited. The gap between them is the
caller's overhead: network, TLS, the API gateway, queueing on the client side.

>>> # report = LatencyReport.from_audit("out/audit.ndjson")
>>> # report.compare_platform(session.client)       # queries the report's time span and actions
>>> # report.compare_platform(client.action_aggregates(interval, action_ids=ids))
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["PLATFORM_COLUMNS", "compare_platform", "platform_by_action"]

PLATFORM_COLUMNS = (
    "action_name", "client_count", "client_p50_ms", "client_p95_ms", "client_p99_ms", "client_mean_ms",
    "platform_count", "platform_mean_ms", "platform_max_ms", "overhead_mean_ms", "overhead_p50_ms",
    "overhead_share",
)
_METRIC = "tTotalExecution"
# Audit timestamps are when a request left; the platform stamps when it ran: pad the query's interval.
_PAD = timedelta(minutes=1)


def platform_by_action(frame: pd.DataFrame) -> pd.DataFrame:
    """``client.action_aggregates`` rows folded into one row per action: count, mean and max over intervals."""
    if "actionId" not in frame.columns:
        raise ValueError("the platform table must be grouped by actionId: "
                         "client.action_aggregates(interval, group_by=('actionId',))")
    if frame.empty:
        return pd.DataFrame({"platform_count": pd.Series(dtype="int64"), "platform_mean_ms": pd.Series(dtype="float64"),
                             "platform_max_ms": pd.Series(dtype="float64")}, index=pd.Index([], name="action_id"))
    grouped = frame.groupby("actionId", sort=True)
    count = grouped[f"{_METRIC}_count"].sum()
    total = grouped[f"{_METRIC}_sum"].sum()
    out = pd.DataFrame({
        "platform_count": count.astype("int64"),
        "platform_mean_ms": (total / count.where(count > 0)).astype("float64"),
        "platform_max_ms": grouped[f"{_METRIC}_max"].max().astype("float64"),
    })
    out.index.name = "action_id"
    return out


def _query_platform(report: Any, client: Any) -> pd.DataFrame:
    info = report.info()
    if info["start"] is None:
        raise ValueError("the report has no timestamps, so there is no interval to ask the platform about")
    ids = sorted(map(str, report.frame["action_id"].dropna().unique()))
    start = pd.Timestamp(info["start"]).to_pydatetime(warn=False) - _PAD
    end = pd.Timestamp(info["end"]).to_pydatetime(warn=False) + _PAD
    return client.action_aggregates((start, end), action_ids=ids, group_by=("actionId",))


def compare_platform(report: Any, platform: Any) -> pd.DataFrame:
    """Per action: the client's p50/p95/p99/mean beside the platform's mean/max, and the overhead between them.

    ``platform`` is a table from ``client.action_aggregates(..., group_by=("actionId",))`` or a client
    (a DataActionsClient, or a Session): then the platform is asked about the report's own time span
    (padded by a minute) and actions. ``overhead_mean_ms`` is the client's mean less the platform's,
    ``overhead_p50_ms`` the client's median less the platform's mean, ``overhead_share`` the part of
    the client's mean the overhead is. An action the platform has no figures for keeps NaN there.
    """
    client = getattr(platform, "client", platform)
    if callable(getattr(client, "action_aggregates", None)):
        platform_frame = _query_platform(report, client)
    elif isinstance(platform, pd.DataFrame):
        platform_frame = platform
    else:
        raise TypeError("platform must be a DataFrame from client.action_aggregates(...) or a client to query "
                        f"(got {type(platform).__name__})")
    summary = report.summary(by=("action_id", "action_name")).reset_index()
    client_side = pd.DataFrame({
        "action_id": summary["action_id"].astype(str),
        "action_name": summary["action_name"],
        "client_count": summary["count"].astype("int64"),
        "client_p50_ms": summary["p50_ms"], "client_p95_ms": summary["p95_ms"], "client_p99_ms": summary["p99_ms"],
        "client_mean_ms": summary["mean_ms"],
    }).set_index("action_id")
    joined = client_side.join(platform_by_action(platform_frame), how="left")
    joined["platform_count"] = joined["platform_count"].fillna(0).astype("int64")
    joined["overhead_mean_ms"] = joined["client_mean_ms"] - joined["platform_mean_ms"]
    joined["overhead_p50_ms"] = joined["client_p50_ms"] - joined["platform_mean_ms"]
    with np.errstate(divide="ignore", invalid="ignore"):
        joined["overhead_share"] = joined["overhead_mean_ms"] / joined["client_mean_ms"]
    return joined[list(PLATFORM_COLUMNS)]
