"""Outbound HTTP to URLs an admin gives (webhook integrations, KEYTURN_WEBHOOKS): which
targets are allowed, and the one POST that reaches them.

A URL is checked when it is saved, and again at every connect: the name is resolved, every
address it resolves to must be allowed, and the connection goes to a checked address (the
Host header and the TLS hostname check keep the name), so a name that later resolves to a
private address (DNS rebinding) is refused. A redirect is never followed: following it would
resend the signed body, and the redirected answer would reach the grantee's access details.
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import ssl
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from broker.errors import InvalidInput

ALLOW_PRIVATE_ENV = "KEYTURN_ALLOW_PRIVATE_WEBHOOKS"
MAX_URL = 2048
MAX_ANSWER = 1 << 20
_ADVICE = f"use a public host, or set {ALLOW_PRIVATE_ENV}=1 to allow private targets"
_LOCAL_NAMES = ("localhost", "localhost.localdomain")
_LOCAL_SUFFIXES = (".localhost", ".internal", ".local", ".localdomain", ".home.arpa", ".intranet")
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundFailed(Exception):
    """A POST did not get an answer Keyturn takes: the target is refused, unreachable, or
    answered with a redirect. The message continues a sentence naming the target (its
    scheme and host only) and never holds the URL's path."""


class _Refused(Exception):
    """Why a URL is not an allowed target: a clause such as "points at `127.0.0.1`, a
    loopback address"."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str
    port: int
    path: str


@dataclass(frozen=True)
class Outbound:
    """The outbound rules of this process; private, loopback and link-local targets are
    refused unless `allow_private` (KEYTURN_ALLOW_PRIVATE_WEBHOOKS=1, read at start)."""

    allow_private: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Outbound:
        value = env.get(ALLOW_PRIVATE_ENV, "").strip().lower()
        return cls(allow_private=value in ("1", "true", "yes", "on"))

    def check(self, url: str, *, what: str) -> None:
        """Raise InvalidInput when `url` is no allowed target; `what` names it for people,
        e.g. "webhook integration `hr` url". A name that does not resolve now is accepted:
        it is resolved and checked again at every connect."""
        check_form(url, what=what)
        try:
            target = _parse(url)
            self._check_host(target.host)
            self._check_addresses(target.host, _resolve_or_none(target.host, target.port))
        except _Refused as refused:
            raise InvalidInput(f"{what} {refused}") from None

    def post(self, url: str, *, body: bytes, headers: Mapping[str, str], timeout: float) -> Answer:
        """POST `body` to `url`, after checking it again and resolving its host; the answer
        of any status but a redirect. Raise OutboundFailed when refused or unreachable."""
        try:
            target = _parse(url)
            self._check_host(target.host)
            addresses = _resolve_or_none(target.host, target.port)
            if addresses is None:
                raise OutboundFailed(f"unreachable: `{target.host}` does not resolve")
            self._check_addresses(target.host, addresses)
        except _Refused as refused:
            raise OutboundFailed(f"is refused: its URL {refused}") from None
        return _send(target, addresses, body=body, headers=headers, timeout=timeout)

    def _check_host(self, host: str) -> None:
        literal = _ip_literal(host)
        if literal is not None:
            self._check_address(literal, f"points at `{literal}`")
            return
        if self.allow_private:
            return
        if host in _LOCAL_NAMES or host.endswith(_LOCAL_SUFFIXES) or "." not in host:
            raise _Refused(f"names `{host}`, a local or internal host: {_ADVICE}")

    def _check_addresses(self, host: str, addresses: list[_Address] | None) -> None:
        for address in addresses or []:
            self._check_address(address, f"host `{host}` resolves to `{address}`")

    def _check_address(self, address: _Address, said: str) -> None:
        kind = _forbidden_kind(address)
        if kind is None or (self.allow_private and kind not in ("unspecified", "multicast")):
            return
        advice = _ADVICE if kind not in ("unspecified", "multicast") else "use the real host"
        article = "an" if kind[0] in "aeiou" else "a"
        raise _Refused(f"{said}, {article} {kind} address: {advice}")


PUBLIC_ONLY = Outbound()
"""The default rules: public targets only."""


def check_form(url: str, *, what: str) -> None:
    """Raise InvalidInput unless `url` is a plain http(s) URL: no user name or password, no
    whitespace, control or format characters, ASCII only, a host and a valid port."""
    try:
        _parse(url)
    except _Refused as refused:
        raise InvalidInput(f"{what} {refused}") from None


def where(url: str) -> str:
    """Scheme, host and port only: the path of a webhook URL is often a secret itself."""
    parts = urlsplit(url)
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}{port}"


def _parse(url: str) -> _Target:
    if len(url) > MAX_URL:
        raise _Refused(f"is longer than {MAX_URL} characters: use a shorter URL")
    if any(_unsafe(char) for char in url):
        raise _Refused(
            "contains whitespace, control characters or backslashes: remove them "
            "(percent-encode them in the path)"
        )
    if not url.isascii():
        raise _Refused(
            "contains non-ASCII characters: percent-encode the path and write the host in "
            "its `xn--` form"
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise _Refused("must be an http:// or https:// URL")
    if "@" in parts.netloc:
        raise _Refused(
            "carries a user name or password: remove the `user:password@` part, the signing "
            "secret authenticates Keyturn"
        )
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise _Refused("has an invalid port: use a number from 1 to 65535") from None
    host = (parts.hostname or "").rstrip(".")
    if not host or port == 0:
        raise _Refused("needs a host name and a port from 1 to 65535")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Target(parts.scheme, host, port, path)


def _unsafe(char: str) -> bool:
    return char.isspace() or char == "\\" or unicodedata.category(char) in ("Cc", "Cf")


def _ip_literal(host: str) -> _Address | None:
    """The address `host` spells, in any form a resolver takes: dotted, IPv6, and the
    integer, octal and hex forms (`2852039166`, `0177.0.0.1`, `0x7f.1`)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if not _NUMERIC_LABEL.match(host.rsplit(".", 1)[-1]):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        raise _Refused(f"has host `{host}`, which is neither a name nor an IPv4 address") from None


def _forbidden_kind(address: _Address) -> str | None:
    """What kind of non-public address `address` is, or None for a public one. An IPv6
    address that carries an IPv4 one (mapped, 6to4, Teredo) is judged by that too."""
    if isinstance(address, ipaddress.IPv6Address):
        teredo = address.teredo
        for inner in (address.ipv4_mapped, address.sixtofour, *(teredo or ())):
            if inner is not None and (kind := _forbidden_kind(inner)) is not None:
                return kind
    for kind, found in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved or not address.is_global),
    ):
        if found:
            return kind
    return None


def _resolve(host: str, port: int) -> list[_Address]:
    """Every address `host` resolves to (tests replace this to play a DNS rebinding)."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[_Address] = []
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def _resolve_or_none(host: str, port: int) -> list[_Address] | None:
    literal = _ip_literal(host)
    if literal is not None:
        return [literal]
    try:
        return _resolve(host, port) or None
    except (OSError, UnicodeError):
        return None


def _send(
    target: _Target,
    addresses: list[_Address],
    *,
    body: bytes,
    headers: Mapping[str, str],
    timeout: float,
) -> Answer:
    """Connect to the first checked address that takes the connection, then POST once:
    once a connection is open, a failure is final, so no body is ever sent twice here."""
    failure: Exception | None = None
    for address in addresses:
        connection = _connection(target, str(address), timeout)
        try:
            connection.connect()
        except OSError as error:
            failure = error
            connection.close()
            continue
        try:
            return _exchange(connection, target, body=body, headers=headers)
        except (OSError, http.client.HTTPException) as error:
            raise OutboundFailed(f"unreachable: {_reason(error)}") from None
        finally:
            connection.close()
    raise OutboundFailed(f"unreachable: {_reason(failure)}")


def _exchange(
    connection: http.client.HTTPConnection,
    target: _Target,
    *,
    body: bytes,
    headers: Mapping[str, str],
) -> Answer:
    connection.request("POST", target.path, body=body, headers=dict(headers))
    with connection.getresponse() as answer:
        status = int(answer.status)
        if 300 <= status < 400:
            moved = _moved(answer.getheader("Location"))
            raise OutboundFailed(
                f"answered with a redirect ({status}) to {moved}: Keyturn does not follow "
                "redirects; point the webhook at the final URL"
            )
        text = answer.read(MAX_ANSWER + 1)
    if len(text) > MAX_ANSWER:
        raise OutboundFailed(f"answered with more than {MAX_ANSWER} bytes")
    return Answer(status, text)


def _moved(location: str | None) -> str:
    """Where a redirect points, scheme and host only (its path may hold a secret)."""
    parts = urlsplit(location or "")
    if not parts.scheme or not parts.hostname:
        return "another path" if location else "nowhere"
    return f"`{where(location or '')}`"


def _reason(failure: Exception | None) -> str:
    if isinstance(failure, TimeoutError):
        return "timed out"
    if isinstance(failure, ssl.SSLError):
        return f"TLS failed ({failure.reason or type(failure).__name__})"
    if isinstance(failure, OSError) and failure.strerror:
        return failure.strerror
    return type(failure).__name__


def _connection(target: _Target, address: str, timeout: float) -> http.client.HTTPConnection:
    if target.scheme == "https":
        return _PinnedHTTPS(target.host, target.port, address=address, timeout=timeout)
    return _PinnedHTTP(target.host, target.port, address=address, timeout=timeout)


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the checked `address`; the Host header still names the host."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """Connects to the checked `address` and verifies the certificate for the host name."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        try:
            self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise
