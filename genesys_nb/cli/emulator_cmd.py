"""`genesys-nb emulator`: serve the embedded Genesys Cloud org on 127.0.0.1 until Ctrl-C."""
from __future__ import annotations

import argparse
import sys
from typing import Any

EXIT_OK = 0
EXIT_COULD_NOT_RUN = 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "emulator",
        help="serve the embedded Genesys Cloud org emulator on 127.0.0.1",
        description="Serve an emulated Genesys Cloud org (Data Actions API, OAuth, limits, faults) on "
        "127.0.0.1 and print its URL and demo credentials. Stop with Ctrl-C.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: any free port)")
    parser.add_argument("--actions", metavar="DIR", action="append", default=[],
                        help="also load exported action JSON files from DIR (repeatable)")
    parser.add_argument("--seed", type=int, default=0, help="seed for latencies and faults (default 0)")
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="compress time: 60 makes a rate-limit minute last 1 s and latencies 60x shorter")
    parser.add_argument("--rate-per-minute", type=int, default=300, help="requests per minute per token (300)")
    parser.add_argument("--max-in-flight", type=int, default=50, help="executions in flight (50)")
    parser.add_argument("--token-lifetime-s", type=float, default=86400.0, help="access token lifetime (86400)")
    parser.add_argument("--no-real-actions", action="store_true",
                        help="serve only the sample actions (and --actions), not the bundled real exports")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from genesys_nb.emulator import ActionDefinitionError, EmulatorServer

    try:
        server = EmulatorServer(
            port=args.port,
            actions_dir=args.actions or None,
            seed=args.seed,
            time_scale=args.time_scale,
            rate_per_minute=args.rate_per_minute,
            max_in_flight=args.max_in_flight,
            token_lifetime_s=args.token_lifetime_s,
            include_real_actions=not args.no_real_actions,
        )
        server.start()
    except (ActionDefinitionError, ValueError, OSError, RuntimeError) as err:
        print(f"genesys-nb emulator: {err}", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    emulator = server.emulator
    lines = [
        (f"genesys-nb emulator serving {server.url}  ({len(emulator.actions)} actions, seed {args.seed}, "
         f"time scale {args.time_scale:g})"),
        f"  client id:     {server.client_id}",
        f"  client secret: {server.client_secret}   (demo credentials of this local emulator)",
        "  point genesys_nb at it:",
        f"    export GENESYS_API_BASE_URL={server.url} GENESYS_LOGIN_BASE_URL={server.url}",
        f"    export GENESYS_CLIENT_ID={server.client_id} GENESYS_CLIENT_SECRET={server.client_secret}",
        f"  control plane: {server.url}/__emulator__/(reset|faults|limits|requests)",
        "Press Ctrl-C to stop.",
    ]
    print("\n".join(lines), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.stop()
        print("emulator stopped", file=sys.stderr)
    return EXIT_OK
