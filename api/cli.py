"""The `keyturn` command: serve, seed the demo, issue API tokens."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import TYPE_CHECKING

from api.config import Settings

if TYPE_CHECKING:
    from broker import Services


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # The driver logs each failed routing attempt; our GraphError says it once, plainly.
    logging.getLogger("neo4j").setLevel(logging.CRITICAL)
    return int(args.run(args) or 0)


def _parser() -> argparse.ArgumentParser:
    env = Settings.from_env()
    parser = argparse.ArgumentParser(prog="keyturn", description="just-in-time access broker")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the API, the web UI and the expiry scheduler")
    serve.add_argument("--host", default=env.host, help="listen address (KEYTURN_HOST)")
    serve.add_argument("--port", type=int, default=env.port, help="listen port (KEYTURN_PORT)")
    _graph_flag(serve, env)
    serve.add_argument(
        "--demo",
        action="store_true",
        default=env.demo,
        help="seed the demo organisation on first start (KEYTURN_DEMO=1)",
    )
    serve.set_defaults(run=_serve)

    demo = sub.add_parser("demo", help="seed the demo organisation into the graph and exit")
    _graph_flag(demo, env)
    demo.set_defaults(run=_demo)

    token = sub.add_parser("token", help="issue an API token for a user and print it once")
    token.add_argument("--user", required=True, help="the user's key (email)")
    token.add_argument("--name", default="cli", help="a label for the token")
    _graph_flag(token, env)
    token.set_defaults(run=_token)
    return parser


def _graph_flag(parser: argparse.ArgumentParser, env: Settings) -> None:
    parser.add_argument(
        "--graph",
        default=env.graph_url,
        help="embedded:PATH or neo4j://user:password@host:7687 (KEYTURN_GRAPH)",
    )


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app
    from api.server import bootstrap

    services = _open(args.graph)
    for line in bootstrap(services, demo=args.demo):
        print(line, flush=True)
    print(
        f"Keyturn is up at http://{args.host}:{args.port}  (graph: {_safe(args.graph)})", flush=True
    )
    app = create_app(
        services, expiry_interval=Settings.from_env().expiry_interval, owns_services=True
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from api.server import bootstrap

    services = _open(args.graph)
    try:
        for line in bootstrap(services, demo=True) or ["the demo is already seeded"]:
            print(line)
    finally:
        services.store.close()
    return 0


def _token(args: argparse.Namespace) -> int:
    from broker import DomainError, issue_api_token

    services = _open(args.graph)
    try:
        print(issue_api_token(services, owner=args.user, name=args.name))
    except DomainError as refused:
        print(f"keyturn: {refused}", file=sys.stderr)
        return 2
    finally:
        services.store.close()
    return 0


def _open(graph_url: str) -> Services:
    from api.server import open_services
    from graph import GraphError

    if graph_url.startswith("embedded:"):
        os.makedirs(os.path.dirname(graph_url.removeprefix("embedded:")) or ".", exist_ok=True)
    try:
        return open_services(graph_url)
    except GraphError as failure:
        sys.exit(f"keyturn: {failure}")


def _safe(url: str) -> str:
    """The graph URL without its password, for printing."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://{rest.split('@', 1)[1]}"
    return url


if __name__ == "__main__":
    sys.exit(main())
