"""Fault plans: small composable, seeded rules that add latency, errors, resets or bad bodies.

A plan is an ordered list of rules. Latency rules (latency, slow) all add up; among the other
rules the first one that fires decides the outcome. Rules apply to the operations they name (default: execute and
test). Every rule round-trips through ``to_dict`` / ``FaultPlan.from_dict`` (the control plane
speaks those dicts), e.g.::

    {"rules": [{"type": "latency", "median_ms": 80, "sigma": 0.4},
               {"type": "errors", "rates": {"429": 0.05, "503": 0.02}, "retry_after_s": 1},
               {"type": "sequence", "statuses": [429, 503, 200]},
               {"type": "reset", "rate": 0.01, "when": "after"},
               {"type": "slow", "delay_ms": 5000, "rate": 0.01},
               {"type": "body", "kind": "html", "status": 502, "rate": 0.01}]}
"""
from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from genesys_nb.emulator.wire import BODY_KINDS

OPERATIONS = ("execute", "test", "list", "get", "schema", "categories", "token")
DEFAULT_OPERATIONS = ("execute", "test")
ERROR_STATUSES = (400, 401, 403, 429, 500, 502, 503, 504)
SEQUENCE_WORDS = ("reset", "reset_after")


class FaultPlanError(ValueError):
    """A fault plan or rule could not be understood; the message names the field."""


@dataclass(frozen=True)
class LatencyModel:
    """Fixed latency (``fixed_ms``) or a lognormal one (``median_ms``, ``sigma``), capped at ``max_ms``."""

    fixed_ms: float | None = None
    median_ms: float | None = None
    sigma: float = 0.5
    max_ms: float | None = None

    def __post_init__(self) -> None:
        if (self.fixed_ms is None) == (self.median_ms is None):
            raise FaultPlanError("latency needs exactly one of fixed_ms or median_ms")
        for name in ("fixed_ms", "median_ms", "max_ms"):
            value = getattr(self, name)
            if value is not None and (not _is_number(value) or value < 0):
                raise FaultPlanError(f"latency {name} must be a number >= 0, got {value!r}")
        if not _is_number(self.sigma) or self.sigma < 0:
            raise FaultPlanError(f"latency sigma must be a number >= 0, got {self.sigma!r}")

    def sample_ms(self, rng: random.Random) -> float:
        if self.fixed_ms is not None:
            value = float(self.fixed_ms)
        else:
            assert self.median_ms is not None
            value = 0.0 if self.median_ms == 0 else rng.lognormvariate(math.log(self.median_ms), self.sigma)
        return min(value, self.max_ms) if self.max_ms is not None else value

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.fixed_ms is not None:
            out["fixed_ms"] = self.fixed_ms
        else:
            out["median_ms"] = self.median_ms
            out["sigma"] = self.sigma
        if self.max_ms is not None:
            out["max_ms"] = self.max_ms
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LatencyModel:
        allowed = {"fixed_ms", "median_ms", "sigma", "max_ms", "ms"}
        _reject_unknown(data, allowed | {"type", "rate", "operations"}, "latency")
        fixed = data.get("fixed_ms", data.get("ms"))
        return cls(fixed_ms=fixed, median_ms=data.get("median_ms"), sigma=data.get("sigma", 0.5),
                   max_ms=data.get("max_ms"))


@dataclass(frozen=True)
class Latency:
    """Adds latency to matching requests (with probability ``rate``)."""

    model: LatencyModel
    rate: float = 1.0
    operations: tuple[str, ...] = DEFAULT_OPERATIONS

    def to_dict(self) -> dict[str, Any]:
        return {"type": "latency", **self.model.to_dict(), "rate": self.rate, "operations": list(self.operations)}


@dataclass(frozen=True)
class SlowResponse:
    """Answers after ``delay_ms`` (typically longer than a client deadline); the action still runs."""

    delay_ms: float
    rate: float = 1.0
    operations: tuple[str, ...] = DEFAULT_OPERATIONS

    def to_dict(self) -> dict[str, Any]:
        return {"type": "slow", "delay_ms": self.delay_ms, "rate": self.rate, "operations": list(self.operations)}


@dataclass(frozen=True)
class ErrorRates:
    """Fails a request with one of ``rates``' statuses (one draw; rates add up to at most 1)."""

    rates: Mapping[int, float]
    retry_after_s: float = 1.0
    operations: tuple[str, ...] = DEFAULT_OPERATIONS

    def to_dict(self) -> dict[str, Any]:
        return {"type": "errors", "rates": {str(k): v for k, v in self.rates.items()},
                "retry_after_s": self.retry_after_s, "operations": list(self.operations)}


@dataclass(frozen=True)
class StatusSequence:
    """The n-th matching request gets ``statuses[n]`` (200 = normal answer; "reset"/"reset_after").

    Once the sequence is used up, requests are answered normally. The position is kept per scope
    (per action for an action's plan, shared for the global plan) and cleared by reset/set_faults.
    """

    statuses: tuple[int | str, ...]
    retry_after_s: float = 1.0
    operations: tuple[str, ...] = DEFAULT_OPERATIONS

    def to_dict(self) -> dict[str, Any]:
        return {"type": "sequence", "statuses": list(self.statuses), "retry_after_s": self.retry_after_s,
                "operations": list(self.operations)}


@dataclass(frozen=True)
class ConnectionReset:
    """Drops the connection without an answer, ``when`` "before" or "after" the action ran."""

    rate: float = 1.0
    when: str = "before"
    operations: tuple[str, ...] = DEFAULT_OPERATIONS

    def to_dict(self) -> dict[str, Any]:
        return {"type": "reset", "rate": self.rate, "when": self.when, "operations": list(self.operations)}


@dataclass(frozen=True)
class BadBody:
    """Answers ``status`` with a broken body of ``kind`` (see wire.BODY_KINDS); the action ran."""

    kind: str
    status: int = 200
    rate: float = 1.0
    operations: tuple[str, ...] = DEFAULT_OPERATIONS

    def to_dict(self) -> dict[str, Any]:
        return {"type": "body", "kind": self.kind, "status": self.status, "rate": self.rate,
                "operations": list(self.operations)}


FaultRule = Latency | SlowResponse | ErrorRates | StatusSequence | ConnectionReset | BadBody


@dataclass(frozen=True)
class FaultOutcome:
    """What a plan decided for one request."""

    delay_ms: float = 0.0
    status: int | None = None  # an injected error status
    retry_after_s: float = 1.0
    reset: str | None = None  # "before" / "after"
    body_kind: str | None = None
    body_status: int = 200
    labels: tuple[str, ...] = ()

    @property
    def label(self) -> str | None:
        return ",".join(self.labels) or None


@dataclass(frozen=True)
class FaultPlan:
    """An ordered tuple of rules; ``FaultPlan()`` injects nothing."""

    rules: tuple[FaultRule, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", tuple(self.rules))
        for index, rule in enumerate(self.rules):
            _check_rule(rule, index)

    def to_dict(self) -> dict[str, Any]:
        return {"rules": [rule.to_dict() for rule in self.rules]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | list[Any]) -> FaultPlan:
        raw_rules = data if isinstance(data, list) else data.get("rules", [])
        if not isinstance(raw_rules, list):
            raise FaultPlanError("fault plan 'rules' must be a list of rule objects")
        return cls(tuple(rule_from_dict(item, index) for index, item in enumerate(raw_rules)))

    def evaluate(
        self, operation: str, rng: random.Random, positions: dict[int, int], *, decide: bool = True
    ) -> FaultOutcome:
        """Decide the faults for one request; ``positions`` holds sequence positions by rule index.

        Every latency rule adds its delay; then the first outcome rule that fires decides (with
        ``decide=False`` only latencies are drawn: another plan already decided).
        """
        delay_ms = 0.0
        labels: list[str] = []
        for rule in self.rules:
            if operation not in rule.operations or not isinstance(rule, (Latency, SlowResponse)):
                continue
            if rule.rate >= 1.0 or rng.random() < rule.rate:
                if isinstance(rule, Latency):
                    delay_ms += rule.model.sample_ms(rng)
                else:
                    delay_ms += rule.delay_ms
                    labels.append("slow")
        if not decide:
            return FaultOutcome(delay_ms, labels=tuple(labels))
        for index, rule in enumerate(self.rules):
            if operation not in rule.operations:
                continue
            if isinstance(rule, StatusSequence):
                position = positions.get(index, 0)
                if position >= len(rule.statuses):
                    continue
                positions[index] = position + 1
                step = rule.statuses[position]
                if step == 200:
                    continue
                if step in SEQUENCE_WORDS:
                    when = "after" if step == "reset_after" else "before"
                    return FaultOutcome(delay_ms, reset=when, labels=(*labels, f"reset_{when}"))
                return FaultOutcome(delay_ms, status=int(step), retry_after_s=rule.retry_after_s,
                                    labels=(*labels, f"status_{step}"))
            if isinstance(rule, ErrorRates):
                draw = rng.random()
                cumulative = 0.0
                for status, rate in sorted(rule.rates.items()):
                    cumulative += rate
                    if draw < cumulative:
                        return FaultOutcome(delay_ms, status=status, retry_after_s=rule.retry_after_s,
                                            labels=(*labels, f"status_{status}"))
            elif isinstance(rule, (ConnectionReset, BadBody)) and (rule.rate >= 1.0 or rng.random() < rule.rate):
                if isinstance(rule, ConnectionReset):
                    return FaultOutcome(delay_ms, reset=rule.when, labels=(*labels, f"reset_{rule.when}"))
                return FaultOutcome(delay_ms, body_kind=rule.kind, body_status=rule.status,
                                    labels=(*labels, f"body_{rule.kind}"))
        return FaultOutcome(delay_ms, labels=tuple(labels))


def rule_from_dict(data: Any, index: int = 0) -> FaultRule:
    """Parse one rule dict; errors name the rule's position and the field."""
    where = f"fault rule #{index}"
    if not isinstance(data, Mapping):
        raise FaultPlanError(f"{where} must be an object with a 'type', got {type(data).__name__}")
    kind = data.get("type")
    operations = _operations(data.get("operations", DEFAULT_OPERATIONS), where)
    rate = data.get("rate", 1.0)
    try:
        if kind == "latency":
            return Latency(LatencyModel.from_dict(data), rate=rate, operations=operations)
        if kind == "slow":
            _reject_unknown(data, {"type", "delay_ms", "rate", "operations"}, where)
            return SlowResponse(delay_ms=_required(data, "delay_ms", where), rate=rate, operations=operations)
        if kind == "errors":
            _reject_unknown(data, {"type", "rates", "retry_after_s", "operations"}, where)
            rates = _required(data, "rates", where)
            if not isinstance(rates, Mapping):
                raise FaultPlanError(f"{where}: 'rates' must map status codes to rates, e.g. {{\"503\": 0.1}}")
            parsed = {_status(key, where): value for key, value in rates.items()}
            return ErrorRates(parsed, retry_after_s=data.get("retry_after_s", 1.0), operations=operations)
        if kind == "sequence":
            _reject_unknown(data, {"type", "statuses", "retry_after_s", "operations"}, where)
            statuses = _required(data, "statuses", where)
            if not isinstance(statuses, list):
                raise FaultPlanError(f"{where}: 'statuses' must be a list such as [429, 503, 200]")
            steps = tuple(step if step in SEQUENCE_WORDS else _status(step, where, allow_ok=True) for step in statuses)
            return StatusSequence(steps, retry_after_s=data.get("retry_after_s", 1.0), operations=operations)
        if kind == "reset":
            _reject_unknown(data, {"type", "rate", "when", "operations"}, where)
            return ConnectionReset(rate=rate, when=data.get("when", "before"), operations=operations)
        if kind == "body":
            _reject_unknown(data, {"type", "kind", "status", "rate", "operations"}, where)
            return BadBody(kind=_required(data, "kind", where), status=data.get("status", 200), rate=rate,
                           operations=operations)
    except FaultPlanError as err:
        if str(err).startswith(where):
            raise
        raise FaultPlanError(f"{where}: {err}") from err
    raise FaultPlanError(
        f"{where}: unknown type {kind!r}; use one of latency, slow, errors, sequence, reset, body"
    )


def _check_rule(rule: Any, index: int) -> None:
    where = f"fault rule #{index}"
    if not isinstance(rule, (Latency, SlowResponse, ErrorRates, StatusSequence, ConnectionReset, BadBody)):
        raise FaultPlanError(f"{where} is a {type(rule).__name__}, not a fault rule")
    for operation in rule.operations:
        if operation not in OPERATIONS:
            raise FaultPlanError(f"{where}: unknown operation {operation!r}; use {', '.join(OPERATIONS)}")
    rate = getattr(rule, "rate", None)
    if rate is not None and (not _is_number(rate) or not 0 <= rate <= 1):
        raise FaultPlanError(f"{where}: rate must be between 0 and 1, got {rate!r}")
    if isinstance(rule, ErrorRates):
        if sum(rule.rates.values()) > 1.0 + 1e-9 or any(not _is_number(v) or v < 0 for v in rule.rates.values()):
            raise FaultPlanError(f"{where}: error rates must be >= 0 and add up to at most 1")
        for status in rule.rates:
            _status(status, where)
    if isinstance(rule, (ErrorRates, StatusSequence)) and (
        not _is_number(rule.retry_after_s) or rule.retry_after_s < 0
    ):
        raise FaultPlanError(f"{where}: retry_after_s must be a number >= 0")
    if isinstance(rule, SlowResponse) and (not _is_number(rule.delay_ms) or rule.delay_ms < 0):
        raise FaultPlanError(f"{where}: delay_ms must be a number >= 0")
    if isinstance(rule, ConnectionReset) and rule.when not in ("before", "after"):
        raise FaultPlanError(f"{where}: when must be 'before' or 'after', got {rule.when!r}")
    if isinstance(rule, BadBody):
        if rule.kind not in BODY_KINDS:
            raise FaultPlanError(f"{where}: unknown body kind {rule.kind!r}; use one of {', '.join(BODY_KINDS)}")
        if not isinstance(rule.status, int) or not 200 <= rule.status <= 599:
            raise FaultPlanError(f"{where}: status must be an HTTP status 200..599, got {rule.status!r}")


def _status(value: Any, where: str, allow_ok: bool = False) -> int:
    try:
        status = int(value)
    except (TypeError, ValueError):
        raise FaultPlanError(f"{where}: {value!r} is not a status code") from None
    if allow_ok and status == 200:
        return status
    if status not in ERROR_STATUSES:
        allowed = ", ".join(str(s) for s in ((200,) if allow_ok else ()) + ERROR_STATUSES)
        raise FaultPlanError(f"{where}: status {status} is not injectable; use one of {allowed}")
    return status


def _operations(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not value:
        raise FaultPlanError(f"{where}: operations must be a non-empty list from {', '.join(OPERATIONS)}")
    return tuple(str(item) for item in value)


def _required(data: Mapping[str, Any], name: str, where: str) -> Any:
    if name not in data:
        raise FaultPlanError(f"{where}: missing field {name!r}")
    return data[name]


def _reject_unknown(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise FaultPlanError(f"{where}: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
