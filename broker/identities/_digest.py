"""How Keyturn keeps a secret it handed out (an API token, a session id, a link's token):
only its digest, which is also the key its node is found by."""

from __future__ import annotations

import hashlib


def secret_digest(secret: str) -> str:
    """The SHA-256 of `secret`, in hex. Every such secret carries at least 128 random bits,
    so a fast unsalted hash cannot be brute-forced, and the same secret always finds the
    same node."""
    return hashlib.sha256(secret.encode()).hexdigest()
