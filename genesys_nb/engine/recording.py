"""Record a live org's remote answers through ``/test`` so the engine can replay them offline."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from genesys_nb.api.models import Action, TestExecutionResult
from genesys_nb.engine.engine import ActionEngine
from genesys_nb.engine.remote import Recording, RemoteResponse

__all__ = ["record"]

EXECUTE_STEP = "Execute request"


class _TestingClient(Protocol):
    def get_action(self, action_id: str) -> Action: ...

    def test(self, action_id: str, inputs: Mapping[str, Any], *, flatten: bool = False) -> TestExecutionResult: ...


def record(client: _TestingClient, action_id: str, inputs: Iterable[Mapping[str, Any]],
           path: str | Path | None = None) -> Recording:
    """Run ``/test`` for each input and keep the "Execute request" step's answer with the request that got it.

    The request is the one the action's own templates render (offline, from its config), so the
    recording replays for exactly these inputs. Inputs whose test failed before the remote call are
    left out; a failed remote call (non-2xx) is recorded as that status. ``path`` saves it as JSON.
    """
    action = client.get_action(action_id)
    engine = ActionEngine(action)
    recording = Recording(action={"id": action.id, "name": action.name, "version": action.version})
    for row in inputs:
        result = client.test(action_id, row)
        step = next((op for op in result.operations if op.name == EXECUTE_STEP), None)
        if step is None:
            continue
        if step.success:
            response = RemoteResponse(body=step.result)
        else:
            status = step.error.status if step.error is not None and step.error.status else 500
            response = RemoteResponse(body=step.error.message if step.error else None, status=status)
        recording.add(engine.render_request(row), response, inputs=row)
    if path is not None:
        recording.save(path)
    return recording
