"""What each emulated action's remote endpoint answers for an input: deterministic, some with state.

A behaviour is ``fn(inputs, ctx) -> remote answer``: the body the action's remote service returns,
which the action's own translation map and success template then turn into its output (through the
action engine). It may raise :class:`RemoteFailure` for the remote answering with an error status.
Answers depend only on the input (and the record store for updates), never on the emulator's
random stream, so a retried call answers the same.
"""
from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson


class RemoteFailure(Exception):
    """The (pretend) remote endpoint answered an error status with ``message`` as its body text."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class BehaviourContext:
    """What a behaviour may read or change: the action's success schema and the org's record store."""

    success_schema: dict[str, Any]
    records: dict[str, dict[str, Any]] = field(default_factory=dict)


Behaviour = Callable[[dict[str, Any], BehaviourContext], Any]


def input_digest(inputs: Any) -> bytes:
    return hashlib.sha256(orjson.dumps(inputs, option=orjson.OPT_SORT_KEYS)).digest()


def input_rng(inputs: Any, salt: str = "") -> random.Random:
    """A Random seeded by the canonical JSON of the input: same input, same output."""
    return random.Random(input_digest([salt, inputs]))


_FIRST_NAMES = ("Ada", "Grace", "Alan", "Katherine", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Frances")
_LAST_NAMES = ("Lovelace", "Hopper", "Turing", "Johnson", "Torvalds", "Hamilton", "Ritchie", "Liskov")
_TIERS = ("bronze", "silver", "gold", "platinum")


def lookup_customer(inputs: dict[str, Any], ctx: BehaviourContext) -> Any:
    phone = str(inputs.get("phoneNumber", ""))
    if phone.endswith("0000"):
        raise RemoteFailure(404, f"{{\"error\":\"no customer with phone {phone}\"}}")
    rng = input_rng(phone, "customer")
    first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
    customer_id = f"C-{rng.randrange(10**6):06d}"
    # The CRM's own shape; the action's translation map picks the output fields out of it.
    return {
        "id": customer_id,
        "name": {"first": first, "last": last},
        "email": f"{first.lower()}.{last.lower()}@example.com",
        "loyalty": {"tier": rng.choice(_TIERS)},
        "status": rng.choice(("active", "active", "active", "suspended")),
        "support": {"openTickets": rng.randrange(0, 5)},
        "metrics": {"lifetimeValue": round(rng.uniform(10, 25000), 2)},
    }


def update_record(inputs: dict[str, Any], ctx: BehaviourContext) -> Any:
    record_id = str(inputs["recordId"])
    fields = {key: value for key, value in inputs.items() if key != "recordId"}
    existing = ctx.records.get(record_id)
    if existing is None:
        ctx.records[record_id] = {"fields": dict(fields), "revision": 1}
        return {"recordId": record_id, "status": "created", "modifiedFields": sorted(fields), "revision": 1}
    modified = sorted(key for key, value in fields.items() if existing["fields"].get(key) != value)
    existing["fields"].update(fields)
    existing["revision"] += 1
    status = "updated" if modified else "unchanged"
    return {"recordId": record_id, "status": status, "modifiedFields": modified, "revision": existing["revision"]}


def create_ticket(inputs: dict[str, Any], ctx: BehaviourContext) -> Any:
    rng = input_rng(inputs, "ticket")
    return {
        "ticketId": f"T-{rng.randrange(10**8):08d}",
        "status": "open",
        "priority": inputs.get("priority", "normal"),
        "contactEmail": inputs["contact"]["email"],
        "tagCount": len(inputs.get("tags", [])),
        "itemCount": len(inputs.get("items", [])),
    }


def list_orders(inputs: dict[str, Any], ctx: BehaviourContext) -> Any:
    customer_id = str(inputs["customerId"])
    rng = input_rng(customer_id, "orders")
    count = min(int(inputs.get("maxResults", 3)), rng.randrange(1, 6))
    orders = []
    for _ in range(count):
        orders.append({
            "orderId": f"O-{rng.randrange(10**7):07d}",
            "status": rng.choice(("placed", "shipped", "delivered", "returned")),
            "total": {"amount": round(rng.uniform(5, 500), 2), "currency": "USD"},
            "itemCount": rng.randrange(1, 9),
        })
    return {
        "customerId": customer_id,
        "totalCount": len(orders),
        "orders": orders,
        "tags": sorted(rng.sample(("vip", "newsletter", "b2b", "returns", "promo"), 2)),
    }


def verify_pin(inputs: dict[str, Any], ctx: BehaviourContext) -> Any:
    verified = str(inputs["pin"]) != "0000"
    return {"verified": verified, "attemptsRemaining": 3 if verified else 2}


def echo(inputs: dict[str, Any], ctx: BehaviourContext) -> Any:
    return inputs


def synthesize(inputs: dict[str, Any], ctx: BehaviourContext) -> Any:
    """An output that satisfies the success schema, derived from the input (same input, same output)."""
    return synthesize_value(ctx.success_schema, input_rng(inputs, "synth"), "result")


def synthesize_value(schema: Any, rng: random.Random, name: str, depth: int = 0) -> Any:
    if not isinstance(schema, dict):
        return None
    if schema.get("enum"):
        return rng.choice(schema["enum"])
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or (kind is None and "properties" in schema):
        return {
            key: synthesize_value(sub, rng, key, depth + 1)
            for key, sub in (schema.get("properties") or {}).items()
        }
    if kind == "array":
        if depth > 6:
            return []
        low = int(schema.get("minItems", 1))
        high = max(low, min(int(schema.get("maxItems", 3)), low + 3))
        return [synthesize_value(schema.get("items") or {"type": "string"}, rng, name, depth + 1)
                for _ in range(rng.randint(low, high))]
    if kind == "integer":
        low = int(schema.get("minimum", 0))
        return rng.randint(low, int(schema.get("maximum", low + 1000)))
    if kind == "number":
        floor = float(schema.get("minimum", 0))
        return round(rng.uniform(floor, float(schema.get("maximum", floor + 1000))), 2)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "null":
        return None
    text = f"{name}-{rng.getrandbits(32):08x}"
    max_length = schema.get("maxLength")
    return text[: int(max_length)] if isinstance(max_length, int) else text


BEHAVIOURS: dict[str, Behaviour] = {
    "lookup_customer": lookup_customer,
    "update_record": update_record,
    "create_ticket": create_ticket,
    "list_orders": list_orders,
    "verify_pin": verify_pin,
    "echo": echo,
    "synthesize": synthesize,
}
