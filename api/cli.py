"""The `keyturn` command: serve, seed the demo, issue API tokens, check the activity log."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

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
    serve.add_argument(
        "--public-url",
        default=env.public_url,
        help="the base URL users reach Keyturn at, used in mail links "
        "(KEYTURN_PUBLIC_URL; default: http://HOST:PORT)",
    )
    _graph_flag(serve, env)
    serve.add_argument(
        "--demo",
        action="store_true",
        default=env.demo,
        help="seed the demo organisation on first start (KEYTURN_DEMO=1)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="serving processes on one port (Neo4j only: the embedded graph is one process)",
    )
    serve.set_defaults(run=_serve)

    demo = sub.add_parser("demo", help="seed the demo organisation into the graph and exit")
    _graph_flag(demo, env)
    demo.add_argument(
        "--size",
        type=int,
        default=0,
        help="also load a generated enterprise of this many people (e.g. 100000)",
    )
    demo.add_argument("--seed", type=int, default=0, help="the generator's seed")
    demo.add_argument(
        "--export-csv",
        metavar="DIR",
        help="instead, write the generated enterprise as CSV files for Neo4j's offline "
        "importer (neo4j-admin database import full) and print its command line",
    )
    demo.set_defaults(run=_demo)

    token = sub.add_parser("token", help="issue an API token for a user and print it once")
    token.add_argument("--user", required=True, help="the user's key (email)")
    token.add_argument("--name", default="cli", help="a label for the token")
    token.add_argument(
        "--expires-in-days",
        type=int,
        default=None,
        help="days until the token stops working, 1-365 (default: 90)",
    )
    token.add_argument(
        "--scope",
        default=None,
        help="`full` (default) acts as the user; `read` may run queries but no mutation; "
        "`scim` (an admin's) reaches only /scim/v2",
    )
    _graph_flag(token, env)
    token.set_defaults(run=_token)
    _audit_commands(sub, env)

    sync = sub.add_parser(
        "sync",
        help="sync users, groups and managers from a SCIM ListResponse file (the whole "
        "directory: users synced before from SCIM and missing here are offboarded)",
    )
    sync.add_argument("--file", required=True, help="a SCIM ListResponse document (JSON)")
    _graph_flag(sync, env)
    sync.set_defaults(run=_sync)
    sdl = sub.add_parser(
        "schema", help="print the GraphQL schema (SDL), as committed in schema.graphql"
    )
    sdl.add_argument("--output", metavar="FILE", help="write it to FILE instead")
    sdl.set_defaults(run=_schema)
    return parser


def _schema(args: argparse.Namespace) -> int:
    from api.graphql.schema import sdl

    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(sdl())
    else:
        sys.stdout.write(sdl())
    return 0


def _audit_commands(sub: Any, env: Settings) -> None:
    audit = sub.add_parser("audit", help="verify or export the activity log")
    commands = audit.add_subparsers(required=True, metavar="AUDIT_COMMAND")
    verify = commands.add_parser(
        "verify", help="walk the hash chain; exit 1 at the first edited, removed or moved event"
    )
    _graph_flag(verify, env)
    verify.set_defaults(run=_audit_verify)
    export = commands.add_parser("export", help="write an audit report to stdout, streamed")
    export.add_argument("--format", choices=("csv", "json"), default="json")
    export.add_argument("--since", help="from this ISO 8601 time (inclusive, UTC by default)")
    export.add_argument("--until", help="until this ISO 8601 time (exclusive)")
    export.add_argument("--actor", help="only events by this actor")
    export.add_argument("--resource", help="only events about this resource")
    export.add_argument("--kind", help="an event kind, or a prefix such as `grant`")
    _graph_flag(export, env)
    export.set_defaults(run=_audit_export)


def _audit_verify(args: argparse.Namespace) -> int:
    from broker import verify_chain

    services = _open(args.graph)
    try:
        report = verify_chain(services.store)
    finally:
        services.store.close()
    if not report.ok:
        print(f"keyturn: the activity log is broken: {report.problem}", file=sys.stderr)
        return 1
    print(f"the activity log is intact: {report.checked} event(s) verified")
    return 0


def _audit_export(args: argparse.Namespace) -> int:
    from broker import AuditFilter, export, read_events

    try:
        where = AuditFilter(
            since=_instant(args.since, "--since"),
            until=_instant(args.until, "--until"),
            actor=args.actor,
            resource=args.resource,
            kind=args.kind,
        )
    except ValueError as bad:
        print(f"keyturn: {bad}", file=sys.stderr)
        return 2
    services = _open(args.graph)
    try:
        for chunk in export(read_events(services.store, where), fmt=args.format):
            sys.stdout.write(chunk)
    finally:
        services.store.close()
    sys.stdout.flush()
    return 0


def _instant(text: str | None, flag: str) -> float | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        hint = "e.g. 2026-01-31T12:00Z"
        raise ValueError(f"{flag} `{text}` is not an ISO 8601 time, {hint}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _graph_flag(parser: argparse.ArgumentParser, env: Settings) -> None:
    parser.add_argument(
        "--graph",
        default=env.graph_url,
        help="embedded:PATH or neo4j://user:password@host:7687 (KEYTURN_GRAPH)",
    )


# Named, not left to uvicorn's "auto": a missing package would silently cost a third of
# the throughput.
_LOOP: Literal["uvloop"] = "uvloop"
_HTTP: Literal["httptools"] = "httptools"
# One process or several, served alike; the access log is the app's own (api.access_log).
_SERVER_OPTIONS: dict[str, Any] = {
    "log_level": "info",
    "loop": _LOOP,
    "http": _HTTP,
    "access_log": False,
}


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.config import public_url_for
    from api.server import (
        WORKER_GRAPH,
        WORKER_PUBLIC_URL,
        bootstrap,
        freeze_startup_heap,
        serving_app,
        workers_refusal,
    )
    from broker import DomainError, NotifyConfig, session_limits

    refusal = workers_refusal(args.graph, args.workers)
    if refusal is not None:
        sys.exit(f"keyturn: {refusal}")
    try:
        public_url = public_url_for(args.host, args.port, args.public_url)
        session_limits()  # a bad KEYTURN_SESSION_* stops the start, not every sign-in
    except ValueError as wrong:
        sys.exit(f"keyturn: {wrong}")
    services = _open(args.graph)
    try:
        # Mail links follow the server wherever it listens, unless told otherwise.
        if args.workers == 1:
            app = serving_app(
                services, public_url=public_url, expiry_interval=Settings.from_env().expiry_interval
            )
        else:
            NotifyConfig.from_env(os.environ)  # bad settings stop the start, not each worker
    except DomainError as refused:
        services.store.close()
        sys.exit(f"keyturn: {refused}")
    for line in bootstrap(services, demo=args.demo):
        print(line, flush=True)
    workers = f"; {args.workers} workers" if args.workers > 1 else ""
    print(
        f"Keyturn is up at http://{args.host}:{args.port}  (graph: {_safe(args.graph)}; "
        f"links in mail: {public_url}{workers})",
        flush=True,
    )
    if args.workers == 1:
        freeze_startup_heap()
        uvicorn.run(app, host=args.host, port=args.port, **_SERVER_OPTIONS)
        return 0
    # Each worker opens its own graph connection and runs its own scheduler (its
    # transitions are compare-and-set, so two schedulers never revoke twice).
    services.store.close()
    os.environ[WORKER_GRAPH] = args.graph
    os.environ[WORKER_PUBLIC_URL] = public_url
    uvicorn.run(
        "api.server:worker_app",
        factory=True,
        workers=args.workers,
        host=args.host,
        port=args.port,
        **_SERVER_OPTIONS,
    )
    return 0


def _demo(args: argparse.Namespace) -> int:
    from api.server import bootstrap

    if args.export_csv:
        return _export_csv(args.export_csv, args.size, args.seed)
    services = _open(args.graph)
    try:
        for line in bootstrap(services, demo=True) or ["the demo is already seeded"]:
            print(line)
        if args.size:
            _load_generated(services, args.size, args.seed)
    finally:
        services.store.close()
    return 0


def _load_generated(services: Services, size: int, seed: int) -> None:
    from api.progress import ProgressBar
    from graph.synthetic import estimated_items, load_synthetic

    bar = ProgressBar(estimated_items(size), label=f"generated enterprise of {size} people")
    written = load_synthetic(services.store, size, seed, progress=bar.update)
    bar.finish(written)


def _export_csv(directory: str, size: int, seed: int) -> int:
    from graph import GraphError
    from graph.neo4j._bulk import write_csv
    from graph.synthetic import generate

    if size < 10:
        print("keyturn: --export-csv needs --size N with at least 10 people", file=sys.stderr)
        return 2
    try:
        export = write_csv(generate(size, seed), directory)
    except GraphError as refused:
        print(f"keyturn: {refused}", file=sys.stderr)
        return 2
    print(f"wrote {export.nodes} nodes and {export.relationships} relationships to {directory}")
    print("load them into a stopped Neo4j whose database `neo4j` is empty or absent with:")
    print("  " + " ".join(export.command()))
    print("then start Neo4j and run `keyturn demo --graph neo4j://...` to add the demo people")
    return 0


def _token(args: argparse.Namespace) -> int:
    from broker import DomainError, issue_api_token

    services = _open(args.graph)
    try:
        # Only the terms given: the broker holds the defaults and checks the values.
        terms: dict[str, Any] = {}
        if args.scope is not None:
            terms["scope"] = args.scope
        if args.expires_in_days is not None:
            terms["expires_in_days"] = args.expires_in_days
        print(issue_api_token(services, owner=args.user, name=args.name, **terms))
    except DomainError as refused:
        print(f"keyturn: {refused}", file=sys.stderr)
        return 2
    finally:
        services.store.close()
    return 0


def _sync(args: argparse.Namespace) -> int:
    import json

    from api.progress import ProgressBar
    from broker import DomainError, scim

    try:
        with open(args.file, encoding="utf-8") as given:
            document = json.load(given)
    except (OSError, ValueError) as unreadable:
        print(f"keyturn: cannot read `{args.file}` as JSON: {unreadable}", file=sys.stderr)
        return 2
    services = _open(args.graph)
    bars: list[ProgressBar] = []
    written = [0]

    def start(total: int) -> None:
        bars.append(ProgressBar(total, label="sync"))

    def advance(done: int) -> None:
        written[0] = done
        bars[0].update(done)

    try:
        tag = datetime.now(UTC).isoformat()  # microseconds: two runs never share a tag
        report = scim.sync_file(
            services, document=document, run_tag=tag, progress=advance, on_total=start
        )
    except DomainError as refused:
        print(f"keyturn: {refused}", file=sys.stderr)
        return 2
    finally:
        services.store.close()
    if bars:
        bars[0].finish(written[0])
    print(
        f"synced {report.seen} users: {len(report.disabled)} disabled, "
        f"{len(report.removed)} removed, {len(report.revoked)} grants revoked"
        + (f", {len(report.failed)} revokes failed (retried next run)" if report.failed else "")
    )
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
