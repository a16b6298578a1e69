"""Browser sessions, kept server-side in the graph so they survive restarts and are shared
by every process on one Neo4j.

The session id is the cookie value: 256 random bits, stored only as its SHA-256 (the
Session node's key), so a copy of the graph holds no usable cookie. Its CSRF token is
derived from the id, so `/auth/session` can hand it out again without storing it plainly.
A session ends after `idle` without use or `max_age` after sign-in, whichever is first.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from broker import audit
from broker.errors import Forbidden, NotFound
from broker.identities._digest import secret_digest
from broker.services import Services
from graph import (
    ConflictError,
    DeleteNode,
    GraphStore,
    Node,
    NodeRef,
    SetProps,
    UnknownNode,
    UpsertEdge,
    UpsertNode,
    WriteOp,
)

IDLE_ENV = "KEYTURN_SESSION_IDLE_HOURS"
MAX_AGE_ENV = "KEYTURN_SESSION_MAX_DAYS"
METHODS = ("password", "sso")

# `last_seen_at` moves at most this often: a session's use is not a graph write per request.
_TOUCH_EVERY = 60.0
_MAX_ID_LENGTH = 128  # ids are 43 characters; anything far longer is not one of ours


@dataclass(frozen=True)
class SessionLimits:
    idle_seconds: float = 12 * 3600.0
    max_seconds: float = 7 * 86400.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> SessionLimits:
        """The limits `KEYTURN_SESSION_IDLE_HOURS` and `KEYTURN_SESSION_MAX_DAYS` set; raise
        ValueError naming the variable for a value that is not a positive number."""
        idle = _positive(environ, IDLE_ENV, cls.idle_seconds / 3600)
        most = _positive(environ, MAX_AGE_ENV, cls.max_seconds / 86400)
        return cls(idle_seconds=idle * 3600, max_seconds=most * 86400)


def _positive(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise ValueError(f"{name} `{raw}` is not a positive number: unset it or give e.g. `12`")
    return value


def session_limits() -> SessionLimits:
    """The limits this process applies, from the environment (read at each use, so every
    process sharing a graph that shares a configuration applies the same)."""
    return SessionLimits.from_env(os.environ)


@dataclass(frozen=True)
class StartedSession:
    session_id: str  # the cookie value: shown once, stored only hashed
    csrf_token: str
    expires_at: float  # the absolute end; idleness may end it sooner


@dataclass(frozen=True)
class SessionViewer:
    user: Node
    csrf_hash: str
    key: str  # the Session node's key (the id's hash)
    method: str


def session_key(session_id: str) -> str:
    return secret_digest(session_id)


def csrf_token_for(session_id: str) -> str:
    """The CSRF token of a session: derived from its id, so it needs no storing in plain."""
    return hmac.new(session_id.encode(), b"keyturn csrf token", hashlib.sha256).hexdigest()


def _csrf_hash(token: str) -> str:
    return secret_digest(token)


def csrf_matches(viewer: SessionViewer, token: str | None) -> bool:
    """Whether `token` (a request's X-CSRF-Token header) is this session's CSRF token."""
    if not token or len(token) > _MAX_ID_LENGTH:
        return False
    return hmac.compare_digest(_csrf_hash(token), viewer.csrf_hash)


def may_sign_in(user: Node) -> bool:
    """Whether `user` may hold a session: not disabled, and not only invited."""
    if user.props.get("disabled"):
        return False
    return str(user.props.get("status") or "ACTIVE") == "ACTIVE"


def start_session(services: Services, *, user: str, method: str, client: str) -> StartedSession:
    """A new session for `user`, who has just proven who they are by `method`; recorded in
    the activity log as a sign-in. Every call makes a new id (sessions rotate at sign-in).
    Raises NotFound for an unknown user, Forbidden for one who may not sign in."""
    if method not in METHODS:
        raise ValueError(f"sign-in method `{method}` is unknown: use one of {METHODS}")
    node = services.store.get_node("User", user)
    if node is None:
        raise NotFound(f"no user `{user}` exists")
    if not may_sign_in(node):
        raise Forbidden(f"user `{user}` may not sign in: the account is disabled or not set up")
    session_id = secrets.token_urlsafe(32)
    csrf_token = csrf_token_for(session_id)
    key = session_key(session_id)
    now = services.clock()
    props = {
        "user": user,
        "created_at": now,
        "last_seen_at": now,
        "csrf_hash": _csrf_hash(csrf_token),
        "method": method,
        "client": client[:_MAX_ID_LENGTH],
    }
    ops: list[WriteOp] = [
        UpsertNode("Session", key, props),
        UpsertEdge("SIGNED_IN", NodeRef("User", user), NodeRef("Session", key)),
    ]
    ops += _signed_in_stamp(node, now)
    entry = audit.Entry(
        kind="user.signed_in",
        at=now,
        actor=user,
        subject=user,
        data={"method": method, "client": props["client"]},
    )
    audit.write(services.store, ops, entry)
    return StartedSession(session_id, csrf_token, now + session_limits().max_seconds)


def _signed_in_stamp(user: Node, now: float) -> list[WriteOp]:
    from graph.model import NODE_KINDS  # the User kind gains `last_sign_in_at` with invitations

    if "last_sign_in_at" not in NODE_KINDS["User"].properties:
        return []
    return [SetProps("User", user.key, {"last_sign_in_at": now})]


def end_sessions_ops(store: GraphStore, user: str) -> list[WriteOp]:
    """Ops deleting every session of `user`: put them in the same write as the disable,
    delete or role change that ends them."""
    found = store.edges("SIGNED_IN", src=NodeRef("User", user))
    return [DeleteNode("Session", edge.dst.key) for edge in found]


def session_viewer(services: Services, session_id: str) -> SessionViewer | None:
    """The signed-in user behind `session_id` (a cookie value) and the session's CSRF hash;
    None when it is unknown, ended, idle too long, too old, or its user may no longer
    sign in. Marks the session used, at most once a minute."""
    if not session_id or len(session_id) > _MAX_ID_LENGTH:
        return None
    store = services.store
    key = session_key(session_id)
    found = store.get_node("Session", key)
    if found is None:
        return None
    now = services.clock()
    if _expired(found, now, session_limits()):
        store.write([DeleteNode("Session", key)])
        return None
    user = store.get_node("User", str(found.props["user"]))
    if user is None or not may_sign_in(user):
        return None
    if not _touch(store, found, now):
        return None
    return SessionViewer(user, str(found.props["csrf_hash"]), key, str(found.props["method"]))


def _expired(session: Node, now: float, limits: SessionLimits) -> bool:
    created = float(session.props["created_at"])
    seen = float(session.props["last_seen_at"])
    return now - seen > limits.idle_seconds or now - created > limits.max_seconds


def _touch(store: GraphStore, session: Node, now: float) -> bool:
    """Record the session's use when the last record is a minute old; False when the
    session was ended meanwhile."""
    seen = float(session.props["last_seen_at"])
    if now - seen < _TOUCH_EVERY:
        return True
    try:
        store.write(
            [SetProps("Session", session.key, {"last_seen_at": now}, {"last_seen_at": seen})]
        )
    except ConflictError:
        # Another request recorded a use at the same time (as good), unless it was ended.
        return store.get_node("Session", session.key) is not None
    except UnknownNode:
        return False
    return True


def end_session(services: Services, session_id: str) -> bool:
    """Sign out: delete the session behind `session_id`; False when there was none. Logged
    in the activity log as a sign-out."""
    if not session_id or len(session_id) > _MAX_ID_LENGTH:
        return False
    key = session_key(session_id)
    found = services.store.get_node("Session", key)
    if found is None:
        return False
    user = str(found.props["user"])
    entry = audit.Entry(kind="user.signed_out", at=services.clock(), actor=user, subject=user)
    audit.write(services.store, [DeleteNode("Session", key)], entry)
    return True
