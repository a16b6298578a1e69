"""Tokens answered from memory (api.token_cache) lose their access at once: a revoked
token, a demoted admin and a disabled user are refused on the very next request, on both
graph backends, over real HTTP; and on Neo4j across two Keyturn processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from api.server import open_services
from api.token_cache import token_cache_for
from broker import issue_api_token
from broker.demo import DEMO_ADMIN, DEMO_APPROVER, DEMO_GRANTEE, seed_demo
from tests.e2e.conftest import LiveKeyturn
from tests.support.http_server import GraphQLClient, free_port

ME = "{ me { email role } }"
ADMIN_ONLY = "{ users(first: 1) { hasNextPage } }"
REPO = Path(__file__).resolve().parents[2]
KEYTURN = str(Path(sys.executable).with_name("keyturn"))


def _issued(live: LiveKeyturn, owner: str) -> tuple[str, str]:
    """A fresh token for `owner`, issued by the admin: (the token, its key)."""
    issued = live.admin.data(
        'mutation($o: String!) { issueToken(name: "cache", owner: $o) { token apiToken { key } } }',
        o=owner,
    )["issueToken"]
    return issued["token"], issued["apiToken"]["key"]


def _warm(client: GraphQLClient, query: str = ME) -> None:
    # twice: the second is answered from memory where the graph allows it
    for _ in range(2):
        client.data(query)


def test_repeated_requests_are_answered_from_memory_on_the_embedded_graph_only(
    live: LiveKeyturn,
) -> None:
    """The cache is really in use on the embedded graph (so the tests below exercise its
    invalidation), and off on Neo4j, whose other processes' writes it could not see."""
    _warm(live.grantee)
    cache = token_cache_for(live.services)
    if "embedded" in type(live.services.store).__name__.lower():
        assert cache is not None and len(cache) >= 1
    else:
        assert cache is None


def test_a_revoked_token_is_refused_on_the_very_next_request(live: LiveKeyturn) -> None:
    token, key = _issued(live, DEMO_GRANTEE)
    holder = GraphQLClient(live.base_url, token)
    try:
        _warm(holder)
        live.admin.data("mutation($k: String!) { revokeToken(key: $k) { revoked } }", k=key)
        refusal = holder.error(ME)
        assert holder.last_status == 401
        assert refusal["extensions"]["code"] == "unauthenticated"
        live.grantee.data(ME)  # the owner's other token still works
    finally:
        holder.close()


def test_a_demoted_admin_loses_admin_access_at_once(live: LiveKeyturn) -> None:
    live.admin.data(
        'mutation($u: String!) { setUserRole(user: $u, role: "admin") { role } }', u=DEMO_APPROVER
    )
    token, _ = _issued(live, DEMO_APPROVER)
    promoted = GraphQLClient(live.base_url, token)
    try:
        _warm(promoted, ADMIN_ONLY)
        assert promoted.data(ME)["me"]["role"] == "admin"
        live.admin.data(
            'mutation($u: String!) { setUserRole(user: $u, role: "grantee") { role } }',
            u=DEMO_APPROVER,
        )
        assert promoted.error(ADMIN_ONLY)["extensions"]["code"] == "forbidden"
        assert promoted.data(ME)["me"]["role"] == "grantee"
    finally:
        promoted.close()


def test_a_disabled_user_is_refused_at_once(live: LiveKeyturn) -> None:
    _warm(live.grantee)
    live.admin.data("mutation($u: String!) { disableUser(user: $u) }", u=DEMO_GRANTEE)
    refusal = live.grantee.error(ME)
    assert live.grantee.last_status == 401
    assert refusal["extensions"]["code"] == "unauthenticated"


# --- Neo4j: two Keyturn processes sharing one graph --------------------------------------


@contextmanager
def _keyturn_serving(graph_url: str, scratch: Path, workers: int = 1) -> Iterator[str]:
    """`keyturn serve` as its own process on `graph_url`; yields its base URL."""
    port = free_port()
    log = open(scratch / f"serve-{port}.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [KEYTURN, "serve", "--port", str(port), "--graph", graph_url, "--workers", str(workers)],
        cwd=scratch,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (scratch / f"serve-{port}.log").read_text()
            try:
                httpx.get(base + "/healthz", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "keyturn serve did not start"
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(30)
        log.close()


def test_on_neo4j_a_change_in_one_process_is_seen_by_the_other_at_once(
    neo4j_url: str, tmp_path: Path
) -> None:
    services = open_services(neo4j_url)
    try:
        services.store.clear()
        seed_demo(services)
        admin = issue_api_token(services, owner=DEMO_ADMIN, name="two")
        grantee = issue_api_token(services, owner=DEMO_GRANTEE, name="two")
        approver = issue_api_token(services, owner=DEMO_APPROVER, name="two")
    finally:
        services.store.close()
    with ExitStack() as stack:
        one, two = (stack.enter_context(_keyturn_serving(neo4j_url, tmp_path)) for _ in "12")
        changer = stack.enter_context(_client(one, admin))
        watched = {
            who: stack.enter_context(_client(two, t))
            for who, t in (("grantee", grantee), ("approver", approver), ("admin", admin))
        }
        # demote: process two keeps answering the admin-only query until the change
        changer.data(
            'mutation($u: String!) { setUserRole(user: $u, role: "admin") { role } }',
            u=DEMO_APPROVER,
        )
        _warm(watched["approver"], ADMIN_ONLY)
        changer.data(
            'mutation($u: String!) { setUserRole(user: $u, role: "grantee") { role } }',
            u=DEMO_APPROVER,
        )
        assert watched["approver"].error(ADMIN_ONLY)["extensions"]["code"] == "forbidden"
        # disable
        _warm(watched["grantee"])
        changer.data("mutation($u: String!) { disableUser(user: $u) }", u=DEMO_GRANTEE)
        watched["grantee"].error(ME)
        assert watched["grantee"].last_status == 401
        # revoke: process two's admin token, revoked through process one
        _warm(watched["admin"])
        key = changer.data("{ apiTokens(first: 100) { key owner name revoked } }")["apiTokens"]
        admins = [t["key"] for t in key if t["owner"] == DEMO_ADMIN and t["name"] == "two"]
        assert len(admins) == 1
        changer.data("mutation($k: String!) { revokeToken(key: $k) { revoked } }", k=admins[0])
        watched["admin"].error(ME)
        assert watched["admin"].last_status == 401


@contextmanager
def _client(base: str, token: str) -> Iterator[GraphQLClient]:
    client = GraphQLClient(base, token)
    try:
        yield client
    finally:
        client.close()


def test_on_neo4j_several_workers_serve_one_port_and_log_every_request(
    neo4j_url: str, tmp_path: Path
) -> None:
    """`keyturn serve --workers 2`: two processes answer on one port, each request is
    answered and logged once (by whichever worker took it), and a revoke made through one
    worker is refused by both."""
    services = open_services(neo4j_url)
    try:
        services.store.clear()
        seed_demo(services)
        admin = issue_api_token(services, owner=DEMO_ADMIN, name="workers")
    finally:
        services.store.close()
    with _keyturn_serving(neo4j_url, tmp_path, workers=2) as base:
        client = GraphQLClient(base, admin)
        for _ in range(20):
            assert client.data(ME)["me"] == {"email": DEMO_ADMIN, "role": "admin"}
        key = client.data("{ apiTokens { key name } }")["apiTokens"]
        (mine,) = [t["key"] for t in key if t["name"] == "workers"]
        client.data("mutation($k: String!) { revokeToken(key: $k) { key } }", k=mine)
        for _ in range(4):  # whichever worker takes it
            client.call(ME)
            assert client.last_status == 401
        client.close()
        time.sleep(1)  # the access log is written within half a second
    (log,) = tmp_path.glob("serve-*.log")
    written = log.read_text()
    assert written.count("Started server process") == 2  # one line from each worker
    assert written.count('"POST /graphql HTTP/1.1" 200') == 22
    assert written.count('"POST /graphql HTTP/1.1" 401') == 4
