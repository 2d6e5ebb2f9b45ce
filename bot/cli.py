"""The `motive-bot` command line."""

from __future__ import annotations

import argparse
import logging
import sys


def _simulator(args: argparse.Namespace) -> int:
    import uvicorn

    from motive.simulator import SimConfig, Simulator, build_app

    config = SimConfig(
        seed=args.seed,
        time_factor=args.time_factor,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
    )
    app = build_app(Simulator(config))
    print(f"Motive simulator on http://{args.host}:{args.port} (time factor {args.time_factor:g})")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="motive-bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sim = sub.add_parser("simulator", help="run the Motive simulator alone")
    sim.add_argument("--port", type=int, default=8787)
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--seed", type=int, default=7)
    sim.add_argument("--time-factor", type=float, default=60.0, help="simulated seconds per second")
    sim.add_argument("--webhook-url", default=None)
    sim.add_argument("--webhook-secret", default=None)
    sim.set_defaults(func=_simulator)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
