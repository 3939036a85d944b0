"""Remote stand-ins: values, functions, route tables and recordings answer a rendered request."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from genesys_nb.engine.remote import (
    NoRemoteAnswer,
    Recording,
    RemoteResponse,
    RenderedRequest,
    RouteTable,
    as_remote,
)

GET_CUSTOMER = RenderedRequest("GET", "https://crm.example.com/v1/customers?phone=%2B1", {}, "")
POST_TICKET = RenderedRequest("POST", "https://helpdesk.example.com/api/tickets", {}, '{"subject": "x"}')


def test_a_value_answers_every_request_with_200() -> None:
    remote = as_remote({"id": "C-1"})
    assert remote(GET_CUSTOMER) == RemoteResponse(body={"id": "C-1"})
    assert remote(POST_TICKET).status == 200


def test_a_remote_response_keeps_its_status() -> None:
    remote = as_remote(RemoteResponse(body="gone", status=404))
    answer = remote(GET_CUSTOMER)
    assert (answer.status, answer.body, answer.ok) == (404, "gone", False)


def test_a_function_sees_the_rendered_request() -> None:
    remote = as_remote(lambda request: {"method": request.method, "url": request.url})
    assert remote(POST_TICKET).body == {"method": "POST", "url": POST_TICKET.url}
    remote_status = as_remote(lambda request: RemoteResponse(status=503))
    assert remote_status(GET_CUSTOMER).status == 503


def test_routes_match_method_and_url_first_match_wins() -> None:
    routes = (RouteTable()
              .add("GET", "https://crm.example.com/v1/customers*", {"id": "C-1"})
              .add("*", "re:/api/tickets$", RemoteResponse(body={"id": "T-9"}, status=201))
              .add("GET", "*", {"fallback": True}))
    assert routes(GET_CUSTOMER).body == {"id": "C-1"}
    assert routes(POST_TICKET).status == 201
    assert routes(RenderedRequest("GET", "https://other.example.com/", {}, "")).body == {"fallback": True}
    assert len(routes) == 3


def test_no_route_names_the_request_and_the_routes() -> None:
    routes = RouteTable([("GET", "*/customers*", {"id": "C-1"})])
    with pytest.raises(NoRemoteAnswer) as caught:
        routes(POST_TICKET)
    assert "POST https://helpdesk.example.com/api/tickets" in str(caught.value)
    assert "GET */customers*" in str(caught.value)


def test_recording_prefers_the_exact_body_then_the_url(tmp_path: Path) -> None:
    recording = Recording(action={"id": "custom_-_1", "name": "Create Ticket"})
    recording.add(POST_TICKET, {"id": "T-1"}, inputs={"subject": "x"})
    other_body = RenderedRequest(POST_TICKET.method, POST_TICKET.url, {}, '{"subject": "y"}')
    recording.add(other_body, RemoteResponse(body={"id": "T-2"}, status=201))
    path = recording.save(tmp_path / "ticket.json")
    loaded = Recording.load(path)
    assert len(loaded) == 2 and loaded.action["name"] == "Create Ticket"
    assert loaded(other_body) == RemoteResponse(body={"id": "T-2"}, status=201)
    assert loaded(POST_TICKET).body == {"id": "T-1"}
    unseen_body = RenderedRequest(POST_TICKET.method, POST_TICKET.url, {}, '{"subject": "z"}')
    assert loaded(unseen_body).body == {"id": "T-1"}  # same method and URL: the first one recorded
    with pytest.raises(NoRemoteAnswer, match="record these inputs"):
        loaded(GET_CUSTOMER)


def test_a_file_that_is_not_a_recording_is_refused_by_name(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="broken.json"):
        Recording.load(broken)
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"status": 200}), encoding="utf-8")
    with pytest.raises(ValueError, match="is not a recording"):
        Recording.load(wrong)


@pytest.mark.parametrize("status", [0, 99, 600, "200"])
def test_a_remote_response_needs_an_http_status(status: object) -> None:
    with pytest.raises(ValueError, match="status"):
        RemoteResponse.from_dict({"status": status, "body": {}})
