"""Sealing secrets at rest: round trip, tamper detection, and where the key comes from."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from broker.grants import secrets as sealing


def test_a_sealed_value_opens_to_the_same_text_and_does_not_contain_it() -> None:
    sealed = sealing.seal("hunter2-db-password")
    assert "hunter2" not in sealed
    assert sealing.is_sealed(sealed)
    assert sealing.unseal(sealed) == "hunter2-db-password"
    assert sealing.seal("same") != sealing.seal("same"), "each seal uses a fresh nonce"


def test_an_altered_value_or_another_key_does_not_open(monkeypatch: pytest.MonkeyPatch) -> None:
    sealed = sealing.seal("secret")
    flipped = sealed[:-5] + ("A" if sealed[-5] != "A" else "B") + sealed[-4:]
    with pytest.raises(sealing.SecretsUnavailable, match="does not open"):
        sealing.unseal(flipped)
    monkeypatch.setenv(sealing.ENV_KEY, "another-key-entirely-9876543210")
    sealing.forget_key()
    with pytest.raises(sealing.SecretsUnavailable, match="KEYTURN_SECRET_KEY"):
        sealing.unseal(sealed)
    with pytest.raises(sealing.SecretsUnavailable, match="not sealed"):
        sealing.unseal("plain text")


def test_without_a_key_setting_a_key_file_is_made_beside_the_graph_readable_by_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(sealing.ENV_KEY)
    graph_file = tmp_path / "data" / "keyturn.db"
    sealing.use_key_for(f"embedded:{graph_file}")
    sealed = sealing.seal("token")
    key_file = graph_file.parent / sealing.KEY_FILE_NAME
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert list(key_file.parent.iterdir()) == [key_file], "no temporary file is left behind"

    sealing.forget_key()
    sealing.use_key_for(f"embedded:{graph_file}")
    assert sealing.unseal(sealed) == "token", "a restart reads the same key file"


def test_the_environment_key_wins_over_a_key_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sealing.use_key_for(f"embedded:{tmp_path / 'g.db'}")
    assert not (tmp_path / sealing.KEY_FILE_NAME).exists()
    sealed = sealing.seal("x")
    monkeypatch.delenv(sealing.ENV_KEY)
    sealing.use_key_for(f"embedded:{tmp_path / 'g.db'}")
    with pytest.raises(sealing.SecretsUnavailable):
        sealing.unseal(sealed)
