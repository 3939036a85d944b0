"""`genesys-nb webhook replay OUTBOX`: deliver the webhook events a run could not deliver.

Each event is sent once (with retries), re-signed with the secret and with the ``webhook-id`` it was
given by the run; the outbox is rewritten with what still failed. The signing secret (best a
``whsec_<base64>`` string) is read from an environment variable (``--secret-env``, default
``GENESYS_NB_WEBHOOK_SECRET``), never from the command line, where it would land in shell history
and process listings. Without a secret the replay refuses, unless ``--unsigned`` says the receiver
takes unsigned events.

Exit codes: 0 every event delivered (or none to send), 1 some events still failing,
2 could not run (no outbox file, no URL, no secret and no ``--unsigned``).
"""
from __future__ import annotations

import argparse
import os
import sys

EXIT_OK, EXIT_FAILED, EXIT_COULD_NOT_RUN = 0, 1, 2
DEFAULT_SECRET_ENV = "GENESYS_NB_WEBHOOK_SECRET"


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("webhook", help="webhook tools (replay an outbox)",
                                   description="Webhook tools.")
    actions = parser.add_subparsers(dest="webhook_command", metavar="ACTION")
    replay_parser = actions.add_parser(
        "replay", help="deliver the events saved in a webhook outbox",
        description="Deliver each event saved in OUTBOX once; the file keeps only what still failed.",
    )
    replay_parser.add_argument("outbox", metavar="OUTBOX", help="outbox NDJSON file written by a run")
    replay_parser.add_argument("--url", help="deliver here instead of the URL saved with each event "
                                             "(needed when the URL had a query string or credentials)")
    replay_parser.add_argument("--secret-env", metavar="NAME", default=None,
                               help=f"environment variable holding the signing secret, whsec_<base64> "
                                    f"(default: {DEFAULT_SECRET_ENV})")
    replay_parser.add_argument("--unsigned", action="store_true",
                               help="send the events without a signature (only for a receiver that "
                                    "accepts unsigned events)")
    replay_parser.add_argument("--timeout-s", type=float, default=5.0, help="per-request timeout (s)")
    replay_parser.add_argument("--max-retries", type=int, default=3, help="retries per event (default 3)")
    replay_parser.set_defaults(func=run_replay)
    parser.set_defaults(func=lambda args: _no_action(parser))


def _no_action(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_COULD_NOT_RUN


def run_replay(args: argparse.Namespace) -> int:
    from genesys_nb.run.webhook import replay

    secret: str | None = None
    if args.secret_env:
        if args.unsigned:
            print("error: pass either --secret-env or --unsigned, not both", file=sys.stderr)
            return EXIT_COULD_NOT_RUN
        secret = os.environ.get(args.secret_env)
        if not secret:
            print(f"error: environment variable {args.secret_env} is not set (it should hold the "
                  "webhook signing secret)", file=sys.stderr)
            return EXIT_COULD_NOT_RUN
    elif not args.unsigned:
        secret = os.environ.get(DEFAULT_SECRET_ENV) or None
        if secret is None:
            print(f"error: no signing secret: set {DEFAULT_SECRET_ENV} (or name another variable with "
                  "--secret-env) to the secret the run used, or pass --unsigned if the receiver takes "
                  "unsigned events", file=sys.stderr)
            return EXIT_COULD_NOT_RUN
    if args.timeout_s <= 0 or args.max_retries < 0:
        print("error: --timeout-s must be > 0 and --max-retries >= 0", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    try:
        report = replay(args.outbox, url=args.url, secret=secret, unsigned=secret is None,
                        timeout_s=args.timeout_s, max_retries=args.max_retries)
    except (FileNotFoundError, ValueError) as err:  # ValueError: a secret that is not one
        print(f"error: {err}", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    print(report)
    for line in report.errors[:10]:
        print(f"  {line}", file=sys.stderr)
    if report.errors and all("no URL saved" in line for line in report.errors):
        print("hint: pass --url", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    return EXIT_OK if report.remaining == 0 else EXIT_FAILED
