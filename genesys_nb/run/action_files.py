"""Push export files into drafts and publish a draft behind the pre-publish regression gate.

    from genesys_nb.run.action_files import publish, push
    push(session, ["actions/get-customer-by-phone.json"])             # checked, then into the draft
    publish(session, "Get Customer By Phone", gate="rows.csv",        # published only if the gate passes
            offline_response={"id": "C-1", "loyalty": {"tier": "gold"}})

:func:`push` reads each file, runs the action engine's :meth:`~genesys_nb.engine.ActionEngine.problems`
over it and refuses a file whose templates, JSONPaths or schemas would not parse (a translation
default that is not a JSON literal is only a warning: see :func:`check_export_parses`); otherwise it puts the file's config, contract and secure flag into the draft of the action of
the same name (made from the published action when there is none) and reads the draft's validation.
With ``create=True`` a file whose action the org lacks becomes a new action's draft in an integration
(``integration=`` its name or id; by default the one integration of the file's ``integrationType``).
One bad file fails alone: the others are still pushed.

:func:`publish` publishes an action's draft. With ``gate=`` (a CSV of input rows or a ParameterMatrix)
it first runs :class:`~genesys_nb.run.regress.DraftRegression` over it (online through
``/draft/test`` and ``/test``, or offline through the engine with ``offline_response=``, what the
remote endpoint answers both versions) and publishes only when no row fails ``fail_on``. An action
that was never published has nothing to compare with: its gate runs the draft alone and fails on a
row that does not come out as the matrix expects (:mod:`genesys_nb.run._first_publish_gate`). Nothing
here is sent twice: a PATCH or publish that failed is reported, never repeated.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genesys_nb.api._draft_models import DraftValidationResult
from genesys_nb.api.errors import APIError, GenesysNBError, NotFoundError
from genesys_nb.api.export import ExportError, canonical_export, read_export
from genesys_nb.api.models import Action
from genesys_nb.api.names import UnknownActionError, looks_like_action_id, pick_by_name
from genesys_nb.engine import ActionEngine
from genesys_nb.run._first_publish_gate import first_publish_gate
from genesys_nb.run._regress_compare import parse_fail_on
from genesys_nb.run.regress import DraftRegression

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["PublishResult", "PushResult", "check_export_parses", "publish", "push"]


@dataclass
class PushResult:
    """What happened to one file: ``status`` is pushed, refused (nothing sent) or failed (the org said no)."""

    file: str
    status: str
    name: str | None = None
    action_id: str | None = None
    draft_version: int | None = None
    created: str | None = None  # "draft" (of the published action), "action" (a new one), or None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    validation: DraftValidationResult | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Pushed, and the draft is valid (ready to publish)."""
        return self.status == "pushed" and self.validation is not None and self.validation.valid

    def lines(self) -> list[str]:
        """What to print for this file."""
        if self.status == "refused":
            return [f"{self.file}: refused, nothing sent", *(f"  {problem}" for problem in self.problems),
                    *(f"  warning: {warning}" for warning in self.warnings)]
        if self.status == "failed":
            return [f"{self.file}: failed: {self.error}"]
        made = {"draft": " (new draft of the published action)", "action": " (new action, as a draft)"}
        out = [(f"{self.file}: pushed to the draft of {self.name!r} ({self.action_id}), draft "
                f"v{self.draft_version}{made.get(self.created or '', '')}")]
        out.extend(f"  warning: {warning}" for warning in self.warnings)
        if self.validation is not None and self.validation.valid:
            out.append("  draft validation: valid")
        elif self.validation is not None:
            out.append("  draft validation: NOT valid")
            out.extend(f"  {message}" for message in self.validation.messages)
        return out


@dataclass
class PublishResult:
    """The outcome of :func:`publish`: published or not, the versions, and the gate's rows when there was one."""

    name: str
    action_id: str
    published: bool
    old_version: int | None
    new_version: int | None = None
    draft_version: int | None = None
    gate: pd.DataFrame | None = None
    regressions: pd.DataFrame | None = None
    fail_on: tuple[str, ...] = ()
    validation: DraftValidationResult | None = None

    def summary(self) -> str:
        if self.published:
            old = f"v{self.old_version}" if self.old_version is not None else "none (a new action)"
            return f"published {self.name!r} ({self.action_id}): version {old} -> v{self.new_version}"
        if self.regressions is not None and len(self.regressions):
            return (f"NOT published {self.name!r}: {len(self.regressions)} row(s) fail the gate "
                    f"(--fail-on {','.join(self.fail_on)}); the draft v{self.draft_version} is kept")
        reasons = "; ".join(self.validation.messages) if self.validation is not None else "unknown"
        return f"NOT published {self.name!r}: the draft v{self.draft_version} is not valid: {reasons}"


def check_export_parses(export: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(problems, warnings) the engine finds in an export, one ``where: message`` line each.

    A problem (a template, JSONPath or schema that does not parse) refuses the push. A translation
    default that is not a JSON literal is a warning: the platform stores it, and it only matters
    when the value is missing from the answer (one of the public real exports has one).
    """
    try:
        engine = ActionEngine.from_export(export)
    except (GenesysNBError, ValueError, TypeError) as err:
        return [str(err)], []
    problems: list[str] = []
    warnings: list[str] = []
    for problem in engine.problems():
        line = f"{problem.where}: {problem.message}"
        (warnings if problem.where.startswith("translationMapDefaults.") else problems).append(line)
    return problems, warnings


def _client(session_or_client: Any) -> Any:
    client = getattr(session_or_client, "client", session_or_client)
    if not callable(getattr(client, "update_draft", None)) or callable(getattr(client, "aclose", None)):
        raise TypeError("push() and publish() need a genesys_nb Session or DataActionsClient "
                        f"(got {type(session_or_client).__name__})")
    return client


def _find(client: Any, name: str) -> tuple[Action | None, Action | None]:
    """(published action, draft of a never-published action) called ``name``; either may be None."""
    for listing, index in ((client.list_actions, 0), (client.list_drafts, 1)):
        candidates = listing(name=name)
        try:
            action_id = pick_by_name(name, candidates)
        except UnknownActionError:
            continue
        found = next(a for a in candidates if a.id == action_id)
        return (found, None) if index == 0 else (None, found)
    return None, None


def _integration(client: Any, wanted: str | None, integration_type: str | None) -> Any:
    integrations = client.list_integrations()
    if wanted:
        chosen = [i for i in integrations if wanted in (i.id, i.name)] or \
                 [i for i in integrations if (i.name or "").casefold() == wanted.casefold()]
        if len(chosen) != 1:
            names = ", ".join(repr(i.name) for i in integrations)
            raise ValueError(f"integration {wanted!r}: {'no' if not chosen else 'more than one'} integration of "
                             f"that name or id in this org (it has {names})")
        return chosen[0]
    chosen = [i for i in integrations if i.integration_type == (integration_type or "custom-rest-actions")]
    if len(chosen) != 1:
        names = ", ".join(repr(i.name) for i in chosen) or "none"
        raise ValueError(f"the file's integrationType {integration_type!r} matches {len(chosen)} integration(s) "
                         f"({names}); name one with integration= (--integration NAME)")
    return chosen[0]


def _push_one(client: Any, path: Path, *, create: bool, integration: str | None, category: str | None) -> PushResult:
    try:
        export = canonical_export(read_export(path))
    except ExportError as err:
        return PushResult(str(path), "refused", problems=[str(err)])
    problems, warnings = check_export_parses(export)
    name = export["name"]
    if problems:
        return PushResult(str(path), "refused", name=name, problems=problems, warnings=warnings)
    fields = {"config": export["config"], "contract": export["contract"], "secure": export.get("secure", False)}
    try:
        published, new_draft = _find(client, name)
        created = None
        if published is None and new_draft is None:
            if not create:
                return PushResult(str(path), "failed", name=name, error=(
                    f"no action named {name!r} in this org; pass create=True (--create) to make it a new "
                    "action's draft"))
            chosen = _integration(client, integration, export.get("integrationType"))
            draft = client.create_draft({"name": name, "category": category or chosen.name,
                                         "integrationId": chosen.id, **fields})
            created = "action"
        else:
            action_id = published.id if published is not None else new_draft.id  # type: ignore[union-attr]
            try:
                draft = client.get_draft(action_id)
            except NotFoundError:
                draft = client.create_draft(action_id)
                created = "draft"
            draft = client.update_draft(action_id, version=draft.version, **fields)
        validation = client.validate_draft(draft.id)
    except (APIError, ValueError) as err:
        return PushResult(str(path), "failed", name=name, error=str(err))
    return PushResult(str(path), "pushed", name=name, action_id=draft.id, draft_version=draft.version,
                      created=created, validation=validation, warnings=warnings)


def _files(files: str | Path | Iterable[str | Path]) -> list[Path]:
    given = [files] if isinstance(files, (str, Path)) else list(files)
    out: list[Path] = []
    for item in given:
        path = Path(item)
        out.extend(sorted(path.glob("*.json")) if path.is_dir() else [path])
    if not out:
        raise ValueError("no files to push: give export files (.json) or folders of them")
    return out


def push(session_or_client: Any, files: str | Path | Iterable[str | Path], *, create: bool = False,
         integration: str | None = None, category: str | None = None) -> list[PushResult]:
    """Each file (or every ``*.json`` of a folder) into its action's draft; see the module doc."""
    client = _client(session_or_client)
    return [_push_one(client, path, create=create, integration=integration, category=category)
            for path in _files(files)]


def _resolve(client: Any, action: str) -> tuple[str, bool]:
    """(action id, whether it was ever published)."""
    if looks_like_action_id(action):
        try:
            client.get_action(action)
        except NotFoundError:
            return action, False
        return action, True
    published, new_draft = _find(client, action)
    if published is not None:
        return published.id, True
    if new_draft is not None:
        return new_draft.id, False
    pick_by_name(action, [], everything=[*client.list_actions(), *client.list_drafts()])  # raises, with near names
    raise AssertionError("unreachable")  # pragma: no cover


def publish(session_or_client: Any, action: str, *, gate: Any = None,
            fail_on: str | Sequence[str] = ("differs", "errors"), offline_response: Any = None,
            rate_per_minute: float | None = 300.0, audit: str | Path | None = None) -> PublishResult:
    """Publish the draft of ``action`` (name or id), after the regression gate when ``gate`` is given."""
    from genesys_nb.run.matrix import ParameterMatrix

    client = _client(session_or_client)
    names = parse_fail_on(fail_on if isinstance(fail_on, str) else ",".join(fail_on))
    action_id, was_published = _resolve(client, action)
    try:
        draft = client.get_draft(action_id)
    except NotFoundError as err:
        raise NotFoundError(f"{action!r} has no draft to publish: push a file first (genesys-nb actions push FILE)",
                            status_code=err.status_code, error_body=err.error_body,
                            correlation_id=err.correlation_id, action_id=action_id) from err
    published = client.get_action(action_id) if was_published else None
    result = PublishResult(name=draft.name or action_id, action_id=action_id, published=False,
                           old_version=published.version if published is not None else None,
                           draft_version=draft.version, fail_on=names)
    if gate is not None and published is None:  # nothing to compare with: every row must come out as expected
        matrix = gate if not isinstance(gate, (str, Path)) else ParameterMatrix.from_csv(gate, action=draft)
        result.gate, failing = first_publish_gate(client, action_id, draft, matrix, remote=offline_response,
                                                  rate_per_minute=rate_per_minute)
        result.regressions = failing if "errors" in names else failing.iloc[0:0]
        if len(result.regressions):
            return result
    elif gate is not None:
        matrix = gate if not isinstance(gate, (str, Path)) else ParameterMatrix.from_csv(gate, action=published)
        regression = DraftRegression(client, action_id, audit=audit, rate_per_minute=rate_per_minute)
        if offline_response is not None:
            frame = regression.offline(matrix, offline_response, published=published, draft=draft)
        else:
            frame = regression.run(matrix)
        result.gate, result.regressions = frame, DraftRegression.regressions(frame, names)
        if len(result.regressions):
            return result
    result.validation = client.validate_draft(action_id)
    if not result.validation.valid:
        return result
    done = client.publish_draft(action_id, version=draft.version)
    result.published, result.new_version = True, done.version
    return result
