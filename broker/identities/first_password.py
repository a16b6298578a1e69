"""The first admin's first password: made at the first start, shown to the operator once,
so the person who installs Keyturn can sign in in a browser at once (an operator step, as
the bootstrap API token is: no caller to authorize)."""

from __future__ import annotations

import secrets

from broker import audit
from broker.identities.passwords import hash_password
from broker.services import Services
from graph import SetProps


def set_first_password(services: Services, *, user: str) -> str:
    """Give `user` a random password (about 128 bits, 22 characters) and return it; the
    graph keeps only its argon2id hash. Raises ConflictError if they have one already."""
    password = secrets.token_urlsafe(16)
    change = SetProps(
        "User",
        user,
        {"password_hash": hash_password(password), "status": "ACTIVE"},
        expect={"password_hash": None},
    )
    event = audit.Entry(
        kind="user.password_set", at=services.clock(), actor="keyturn", subject=user, data={}
    )
    audit.write(services.store, [change], event)
    return password
