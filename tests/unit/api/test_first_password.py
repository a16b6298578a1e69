"""The first start prints the first admin's password once: they can sign in at once, and
the graph keeps only its hash."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.server import bootstrap, open_services
from broker import DEMO_PEOPLE, set_first_password
from broker.demo import DEMO_ADMIN
from broker.identities.passwords import password_matches
from graph import ConflictError


def test_the_first_start_gives_the_first_admin_a_password_shown_once(tmp_path: Path) -> None:
    services = open_services(f"embedded:{tmp_path / 'graph.db'}")
    try:
        lines = bootstrap(services, demo=False)
        (said,) = [line for line in lines if line.startswith("admin password")]
        password = said.rsplit(": ", 1)[1]
        admin = services.store.find_nodes("User", equals={"role": "admin"})[0]
        stored = str(admin.props["password_hash"])
        assert password not in stored and stored.startswith("$argon2id$")
        assert password_matches(stored, password)
        assert admin.props["status"] == "ACTIVE"
        assert bootstrap(services, demo=False) == []  # a second start shows nothing
        with pytest.raises(ConflictError):  # and never replaces a password
            set_first_password(services, user=admin.key)
    finally:
        services.store.close()


def test_the_demo_gives_each_of_its_people_a_password_shown_once(tmp_path: Path) -> None:
    """So every role (grantee, approver, auditor) can be tried in a browser at once."""
    services = open_services(f"embedded:{tmp_path / 'graph.db'}")
    try:
        lines = bootstrap(services, demo=True)
        start = lines.index("demo sign-ins (shown once, stored hashed):")
        shown = dict(line.split() for line in lines[start + 1 :])
        assert set(shown) == set(DEMO_PEOPLE) - {DEMO_ADMIN}
        for who, password in shown.items():
            person = services.store.get_node("User", who)
            assert person is not None
            stored = str(person.props["password_hash"])
            assert password not in stored and password_matches(stored, password)
        assert bootstrap(services, demo=True) == []
    finally:
        services.store.close()
