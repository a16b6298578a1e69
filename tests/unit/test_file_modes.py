"""What Keyturn writes to disk is its owner's only, whatever the umask: the embedded graph
file with its WAL and shared-memory files, the sealing key file, the outbox and its mails."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from broker.grants import secrets as sealing
from broker.notify import OutboxMailer
from graph import UpsertNode, open_store


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The loosest umask, so only the modes Keyturn asks for count."""
    before = os.umask(0)
    try:
        yield
    finally:
        os.umask(before)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_fresh_embedded_graph_and_its_wal_and_shm_are_owner_only(
    tmp_path: Path, open_umask: None
) -> None:
    graph = tmp_path / "var" / "graph.db"
    store = open_store(f"embedded:{graph}")
    try:
        store.write([UpsertNode("User", "ada@acme.example", {"email": "ada@acme.example"})])
        wal, shm = Path(f"{graph}-wal"), Path(f"{graph}-shm")
        assert wal.exists() and shm.exists(), "the store runs in WAL mode"
        assert {p.name: _mode(p) for p in (graph, wal, shm)} == {
            "graph.db": 0o600,
            "graph.db-wal": 0o600,
            "graph.db-shm": 0o600,
        }
        assert _mode(Path(f"{graph}.lock")) == 0o600
    finally:
        store.close()


def test_an_embedded_graph_an_older_keyturn_left_world_readable_is_tightened(
    tmp_path: Path, open_umask: None
) -> None:
    graph = tmp_path / "graph.db"
    open_store(f"embedded:{graph}").close()
    graph.chmod(0o644)
    store = open_store(f"embedded:{graph}")
    try:
        assert _mode(graph) == 0o600
        assert store.get_node("User", "nobody") is None, "the file still opens"
    finally:
        store.close()


def test_the_generated_sealing_key_file_is_owner_only(tmp_path: Path, open_umask: None) -> None:
    graph_url = f"embedded:{tmp_path / 'graph.db'}"
    try:
        sealing.use_key_for(graph_url, env={})
        assert sealing.unseal(sealing.seal("x")) == "x"
    finally:
        sealing.forget_key()
    assert _mode(tmp_path / sealing.KEY_FILE_NAME) == 0o600


def test_the_outbox_folder_and_its_mails_are_owner_only(tmp_path: Path, open_umask: None) -> None:
    outbox = tmp_path / "outbox"
    message = EmailMessage()
    message["To"] = "ada@acme.example"
    message["Subject"] = "hello"
    message.set_content("a link")
    OutboxMailer(outbox).send(message)
    [mail] = list(outbox.iterdir())
    assert mail.suffix == ".eml"
    assert _mode(outbox) == 0o700 and _mode(mail) == 0o600


def test_an_outbox_folder_left_open_is_tightened_on_first_mail(
    tmp_path: Path, open_umask: None
) -> None:
    outbox = tmp_path / "outbox"
    outbox.mkdir(mode=0o755)
    message = EmailMessage()
    message["To"] = "ada@acme.example"
    message.set_content("a link")
    OutboxMailer(outbox).send(message)
    assert _mode(outbox) == 0o700
