"""Latency and error reports over audit logs: loading, statistics, plots, HTML, the LatencyReport facade."""
