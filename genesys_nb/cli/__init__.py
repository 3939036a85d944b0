"""genesys-nb command line: one argparse parser, subcommands registered from *_cmd modules."""
from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

# Each module exposes register(subparsers); order is the order shown in --help.
_COMMAND_MODULES = (
    "demo_cmd",
    "emulator_cmd",
    "actions_cmd",
    "execute_cmd",
    "lab_cmd",
    "run_cmd",
    "report_cmd",
    "regress_cmd",
    "webhook_cmd",
    "audit_cmd",
)

EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_COULD_NOT_RUN = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="genesys-nb",
        description="Explore, run and report on Genesys Cloud Data Actions "
        "(an embedded emulator is used when no credentials are set).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug output to stderr")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(f"genesys_nb.cli.{name}")
        except ModuleNotFoundError as err:
            if err.name == f"genesys_nb.cli.{name}":
                continue  # command not installed in this build
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return EXIT_COULD_NOT_RUN
    try:
        return int(func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
