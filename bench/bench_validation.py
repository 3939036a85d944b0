"""Benchmark P5: ``check_input`` vs a compiled ``Draft4Validator(schema).is_valid``, on the widest real action.

The widest real exported action (most input properties) among the real actions is loaded; a valid
input with every property filled is built from its contract. The baseline is what a careful script
without genesys_nb does: a ``jsonschema.Draft4Validator`` built once for the schema, then
``is_valid(instance)`` per call (not ``jsonschema.validate``, which checks the schema again and
builds a validator on every call). The candidate is ``DataActionValidator.check_input`` with the
action primed once (compiled once per action id and version, with a jsonschema-rs acceptance check;
jsonschema runs only to explain a failure). Both must accept the input
(checked). Rounds alternate their order; the ratio is the median of the per-round ratios.

Target: candidate >= 10 x baseline (the cached acceptance check earns its place only if it clearly
beats the compiled validator it stands in for).

    python bench/bench_validation.py [--calls 20000] [--repeat 5] [--quick]
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import REPO_ROOT, machine, parser, table, verdict

TARGET = 10.0


def real_actions_dir() -> Path:
    """GENESYS_NB_REAL_ACTIONS when set, else the public exports bundled with the emulator."""
    env = os.environ.get("GENESYS_NB_REAL_ACTIONS")
    for candidate in ([Path(env)] if env else []) + [REPO_ROOT / "genesys_nb" / "emulator" / "actions" / "real"]:
        if candidate.is_dir() and any(candidate.glob("*.json")):
            return candidate
    raise FileNotFoundError("no real exported actions found; set GENESYS_NB_REAL_ACTIONS")


def widest_action() -> tuple[Path, dict[str, Any]]:
    best: tuple[int, Path, dict[str, Any]] | None = None
    for path in sorted(real_actions_dir().glob("*.json")):
        export = json.loads(path.read_text(encoding="utf-8"))
        schema = ((export.get("contract") or {}).get("input") or {}).get("inputSchema") or {}
        width = len(schema.get("properties") or {})
        if best is None or width > best[0]:
            best = (width, path, export)
    assert best is not None
    return best[1], best[2]


def valid_value(prop: dict[str, Any]) -> Any:
    """A value the property accepts: default, first enum value, or one generated from its type."""
    from genesys_nb.run.matrix import example_for_pattern

    if "default" in prop:
        return prop["default"]
    if prop.get("enum"):
        return prop["enum"][0]
    kind = prop.get("type", "string")
    kind = next((k for k in kind if k != "null"), "string") if isinstance(kind, list) else kind
    if kind == "integer":
        return int(prop.get("minimum", 1))
    if kind == "number":
        return float(prop.get("minimum", 1.5))
    if kind == "boolean":
        return True
    min_length, max_length = int(prop.get("minLength", 0)), prop.get("maxLength")
    if isinstance(prop.get("pattern"), str):
        example = example_for_pattern(prop["pattern"], min_length=min_length, max_length=max_length)
        if example is not None:
            return example
    text = "sample-value"
    text = text + "x" * max(0, min_length - len(text))
    return text[:max_length] if isinstance(max_length, int) else text


def timed(check: Any, calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        check()
    return calls / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    args_parser = parser(__doc__.splitlines()[0])
    args_parser.add_argument("--calls", type=int, default=20000, help="candidate checks per round")
    args_parser.add_argument("--repeat", type=int, default=5)
    args = args_parser.parse_args(argv)
    if args.quick:
        args.calls, args.repeat = 4000, 3

    import jsonschema

    from genesys_nb.api.models import Action
    from genesys_nb.contract.validator import DataActionValidator

    path, export = widest_action()
    action = Action.from_export(export, action_id="custom_-_bench-widest")
    schema = action.input_schema
    assert schema is not None
    instance = {name: valid_value(prop) for name, prop in (schema.get("properties") or {}).items()}
    jsonschema.validate(instance, schema)  # the input really is valid
    validator = DataActionValidator()
    validator.prime(action)
    if validator.check_input(action.id, instance):
        raise RuntimeError(f"the candidate rejects a valid input: {validator.check_input(action.id, instance)}")

    compiled = jsonschema.Draft4Validator(schema)

    def baseline() -> None:
        if not compiled.is_valid(instance):
            raise RuntimeError("unexpected violation")

    def candidate() -> None:
        if validator.check_input(action.id, instance):
            raise RuntimeError("unexpected violation")

    baseline_calls = max(200, args.calls // 4)  # the slower one gets fewer calls for similar wall time
    base_rounds: list[float] = []
    cand_rounds: list[float] = []
    for round_number in range(args.repeat):
        pair = [(base_rounds, baseline, baseline_calls), (cand_rounds, candidate, args.calls)]
        for rounds, check, calls in pair if round_number % 2 == 0 else reversed(pair):
            rounds.append(timed(check, calls))
    base = statistics.median(base_rounds)
    cand = statistics.median(cand_rounds)
    ratio = statistics.median(c / b for c, b in zip(cand_rounds, base_rounds))
    document = {
        "benchmark": "P5_validation",
        "action": export.get("name"),
        "action_file": path.name,
        "input_properties": len(instance),
        "baseline": "jsonschema.Draft4Validator(schema) built once, is_valid(instance) per call",
        "candidate": "DataActionValidator.check_input (primed; compiled once per action id and version)",
        "baseline_checks_per_s": round(base, 1),
        "candidate_checks_per_s": round(cand, 1),
        "ratio": round(ratio, 1),
        "target": f">= {TARGET}x",
        "verdict": verdict(ratio, TARGET),
        "rounds": {"baseline": [round(v, 1) for v in base_rounds], "candidate": [round(v, 1) for v in cand_rounds]},
        "machine": machine(),
    }
    print(json.dumps(document, indent=2))
    if not args.json_only:
        print()
        print(table(["contender", "checks/s", "x baseline"], [
            ["Draft4Validator(schema).is_valid, compiled once (baseline)", base, 1.0],
            ["DataActionValidator.check_input (cached)", cand, ratio],
        ]))
        print(f"{export.get('name')!r}: {len(instance)} input properties; target >= {TARGET}x: {document['verdict']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
