"""The audit log: NDJSON writer (intent and terminal records, redaction) and reader."""
