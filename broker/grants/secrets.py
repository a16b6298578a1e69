"""Sealing secrets at rest: integration credentials and access details, encrypted with Fernet
(AES-128-CBC plus HMAC-SHA256, so a tampered value fails to open instead of decrypting to junk).

The key comes from KEYTURN_SECRET_KEY, else from a key file written on first start (mode
0600) next to the embedded graph file, or `./var/keyturn.key`. Neither the key nor a
sealed or unsealed value is ever logged.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from collections.abc import Mapping
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

ENV_KEY = "KEYTURN_SECRET_KEY"
ENV_KEY_FILE = "KEYTURN_SECRET_KEY_FILE"
KEY_FILE_NAME = "keyturn.key"
DEFAULT_KEY_FILE = Path("var") / KEY_FILE_NAME
_PREFIX = "sealed:v1:"

_lock = threading.Lock()
_fernet: Fernet | None = None


class SecretsUnavailable(RuntimeError):
    """A sealed value does not open with this key: wrong key, or the value was altered."""


def seal(text: str) -> str:
    """`text` encrypted and authenticated under the process key."""
    return _PREFIX + _key().encrypt(text.encode()).decode()


def unseal(sealed: str) -> str:
    """The text `seal` was given; raises SecretsUnavailable when it does not open."""
    if not sealed.startswith(_PREFIX):
        raise SecretsUnavailable("the value is not sealed by Keyturn: save it again")
    try:
        return _key().decrypt(sealed.removeprefix(_PREFIX).encode()).decode()
    except InvalidToken:
        raise SecretsUnavailable(
            f"a sealed value does not open: check that {ENV_KEY} or the key file is the one "
            "it was sealed with"
        ) from None


def is_sealed(value: str) -> bool:
    return value.startswith(_PREFIX)


def use_key_for(graph_url: str, env: Mapping[str, str] | None = None) -> None:
    """Choose the process key for the graph at `graph_url` (call once at start).

    KEYTURN_SECRET_KEY wins; else KEYTURN_SECRET_KEY_FILE; else `keyturn.key` beside an
    embedded graph's file, or `./var/keyturn.key` for a server graph. A missing key file is
    created with a fresh key, readable by its owner only.
    """
    global _fernet
    env = os.environ if env is None else env
    with _lock:
        _fernet = _fernet_from(env, _default_key_file(graph_url))


def forget_key() -> None:
    """Drop the process key so the next use chooses again (tests)."""
    global _fernet
    with _lock:
        _fernet = None


def _key() -> Fernet:
    global _fernet
    with _lock:
        if _fernet is None:
            _fernet = _fernet_from(os.environ, DEFAULT_KEY_FILE)
        return _fernet


def _default_key_file(graph_url: str) -> Path:
    if graph_url.startswith("embedded:"):
        graph_file = Path(graph_url.removeprefix("embedded:"))
        return graph_file.parent / KEY_FILE_NAME
    return DEFAULT_KEY_FILE


def _fernet_from(env: Mapping[str, str], default_file: Path) -> Fernet:
    given = env.get(ENV_KEY)
    if given:
        return Fernet(_derive(given))
    path = Path(env.get(ENV_KEY_FILE) or default_file)
    return Fernet(_derive(_read_or_create(path)))


def _derive(material: str) -> bytes:
    """A Fernet key from any secret string: a high-entropy key is used through SHA-256,
    so an operator may give a Fernet key, a long random string or a passphrase file."""
    return base64.urlsafe_b64encode(hashlib.sha256(material.encode()).digest())


def _read_or_create(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = Fernet.generate_key().decode()
    # Written whole under a temporary name, then linked into place: a process racing this
    # one either links first (and we read its key) or finds the complete file.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(fresh + "\n")
    try:
        os.link(temporary, path)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    finally:
        temporary.unlink()
    return fresh
