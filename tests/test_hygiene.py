"""Log and JSON hygiene: URLs in httpx's log lines are masked; records always serialise."""
from __future__ import annotations

import logging

import httpx
import orjson
import pytest

from genesys_nb.api.logs import install_log_redaction, redact_url
from genesys_nb.audit.jsonsafe import dumps, scrub


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://h.example/p?token=abc", "https://h.example/p?token=***"),
        ("http://u:pw@h.example/p", "http://***@h.example/p"),
        ("POST http://127.0.0.1:80/a?x=1&y=2 done", "POST http://127.0.0.1:80/a?x=***&y=*** done"),
        ("no url here", "no url here"),
        ("https://h.example/path/only", "https://h.example/path/only"),
    ],
)
def test_redact_url(text: str, expected: str) -> None:
    assert redact_url(text) == expected


def test_httpx_request_log_line_is_masked_before_any_handler(caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction()
    caplog.set_level(logging.INFO, logger="httpx")
    with httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(204))) as client:
        client.post("https://hooks.example/in?token=s3cret-receiver-token")
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "hooks.example/in?token=***" in text
    assert "s3cret-receiver-token" not in text


def test_dumps_falls_back_for_what_orjson_refuses() -> None:
    value = {"text": "a\ud800b", "big": 2**70, "nested": [{"ok": 1.5}]}
    with pytest.raises(TypeError):
        orjson.dumps(value)
    assert orjson.loads(dumps(value)) == {"text": "a\ufffdb", "big": str(2**70), "nested": [{"ok": 1.5}]}


def test_scrub_keeps_ordinary_values() -> None:
    value = {"a": [1, 2.5, True, None, "x"], "b": {"c": -(2**63)}}
    assert scrub(value) == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [("plain", "plain"), ("bad \ud800 end", "bad \ufffd end"), (10**30, str(10**30)), (2**63 - 1, 2**63 - 1),
     ({"k": ["\udfff", 1.5, None, True]}, {"k": ["\ufffd", 1.5, None, True]})],
)
def test_scrub_makes_what_json_cannot_carry_printable(value: object, expected: object) -> None:
    assert scrub(value) == expected
