"""Outbound webhook targets: private, loopback and link-local hosts are refused in every
spelling, at save time and again at connect time (DNS rebinding), unless explicitly allowed;
a redirect is never followed, and nothing from it reaches the grantee."""

from __future__ import annotations

import datetime
import ipaddress
import json
import re
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from broker import InvalidInput, Services, StateConflict
from broker._backoff import RetryPolicy
from broker.demo import DEMO_ADMIN, DEMO_GRANTEE
from broker.grants import secrets as sealing
from broker.grants._write import GrantFailed
from broker.grants.access_details import access_details
from broker.integrations import IntegrationProvisioner
from broker.integrations.save_integration import save_integration
from broker.outbound import Outbound, OutboundFailed
from tests.support.grants_lab import access_keys, add_lab, ask
from tests.support.http_server import endpoint

FAST = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02)
SECRET = "integration-signing-secret-42"
PUBLIC = Outbound()
PRIVATE_ALLOWED = Outbound(allow_private=True)

REFUSED = [
    ("http://169.254.169.254/latest/meta-data/", "`169.254.169.254`, a link-local address"),
    ("http://metadata.google.internal/computeMetadata/v1/", "a local or internal host"),
    ("http://metadata/computeMetadata/v1/", "`metadata`, a local or internal host"),
    ("http://localhost:8080/hook", "`localhost`, a local or internal host"),
    ("http://api.localhost/hook", "a local or internal host"),
    ("http://10.1.2.3/hook", "a private address"),
    ("http://172.16.0.1/hook", "a private address"),
    ("http://192.168.1.10/hook", "a private address"),
    ("http://100.64.0.1/hook", "a reserved address"),
    ("http://127.0.0.1:8000/hook", "a loopback address"),
    ("http://0.0.0.0:8000/hook", "`0.0.0.0`, an unspecified address"),
    ("http://2852039166/", "`169.254.169.254`, a link-local address"),
    ("http://2130706433/", "`127.0.0.1`, a loopback address"),
    ("http://0x7f.1/", "`127.0.0.1`, a loopback address"),
    ("http://0177.0.0.1/", "`127.0.0.1`, a loopback address"),
    ("http://127.1/", "`127.0.0.1`, a loopback address"),
    ("http://08.1.1.1/", "neither a name nor an IPv4 address"),
    ("http://[::1]/hook", "`::1`, a loopback address"),
    ("http://[::ffff:127.0.0.1]/hook", "a loopback address"),
    ("http://[::ffff:a9fe:a9fe]/hook", "a link-local address"),
    ("http://[2002:7f00:1::]/hook", "a loopback address"),
    ("http://[fd00::1]/hook", "a private address"),
    ("http://[fe80::1]/hook", "a link-local address"),
    ("http://[::]/hook", "an unspecified address"),
    ("http://224.0.0.1/hook", "a multicast address"),
    ("ftp://hooks.example.com/hook", "must be an http:// or https:// URL"),
    ("file:///etc/passwd", "must be an http:// or https:// URL"),
    ("https://user:pass@hooks.example.com/hook", "carries a user name or password"),
    ("https://hooks.example.com@127.0.0.1/hook", "carries a user name or password"),
    ("https://hooks.example.com\\@127.0.0.1/", "backslashes"),
    ("https://hooks.example.com/a\r\nX-Injected: 1", "control characters"),
    ("https://hooks.example.com/a b", "whitespace"),
    ("https://hooks.example.com/a\x00", "control characters"),
    ("https://hooks.example.com/\u202egro", "control characters"),
    ("https://hooks.example.com/\u200bx", "control characters"),
    ("https://hooks.éxample.com/", "non-ASCII"),
    ("https://hooks.example.com:99999/", "invalid port"),
    ("https:///hook", "needs a host name"),
    ("https://" + "a" * 2100 + ".example.com/", "longer than 2048 characters"),
]


@pytest.mark.parametrize(("url", "why"), REFUSED)
def test_a_webhook_url_that_is_no_public_http_target_is_refused(url: str, why: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        PUBLIC.check(url, what="the `url` of webhook integration `hr`")
    message = str(refused.value)
    assert message.startswith("the `url` of webhook integration `hr` ")
    assert why in message
    assert not message.endswith(".")


def test_the_allow_setting_admits_private_targets_but_never_a_malformed_url() -> None:
    for url in (
        "http://127.0.0.1:8000/hook",
        "http://localhost:8000/hook",
        "http://10.1.2.3/hook",
        "http://[fd00::1]/hook",
        "http://169.254.169.254/",
    ):
        PRIVATE_ALLOWED.check(url, what="url")
    for url, why in (
        ("http://0.0.0.0:8000/", "unspecified address: use the real host"),
        ("http://224.0.0.1/", "multicast address"),
        ("http://user:pw@127.0.0.1/", "carries a user name or password"),
        ("http://127.0.0.1/a\nb", "control characters"),
    ):
        with pytest.raises(InvalidInput, match=why):
            PRIVATE_ALLOWED.check(url, what="url")


def test_the_allow_setting_is_read_from_the_environment() -> None:
    assert Outbound.from_env({"KEYTURN_ALLOW_PRIVATE_WEBHOOKS": "1"}).allow_private
    assert Outbound.from_env({"KEYTURN_ALLOW_PRIVATE_WEBHOOKS": "true"}).allow_private
    assert not Outbound.from_env({"KEYTURN_ALLOW_PRIVATE_WEBHOOKS": "0"}).allow_private
    assert not Outbound.from_env({}).allow_private


def test_a_refused_url_at_save_time_stores_nothing(services: Services, secret_key: None) -> None:
    with pytest.raises(InvalidInput, match="KEYTURN_ALLOW_PRIVATE_WEBHOOKS=1"):
        save_integration(
            services,
            actor=DEMO_ADMIN,
            key="hr",
            name="HR",
            type="webhook",
            config={"url": "http://169.254.169.254/latest/meta-data/", "secret": SECRET},
        )
    assert services.store.get_node("Integration", "hr") is None


@pytest.fixture
def secret_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(sealing.ENV_KEY, "test-key-for-sealing-0123456789")
    sealing.forget_key()
    yield
    sealing.forget_key()


@pytest.fixture
def hooked(services: Services, secret_key: None) -> Services:
    services.provisioner = IntegrationProvisioner.for_services(services, retry=FAST)
    return services


def test_a_redirect_is_a_failed_grant_never_followed_and_gives_no_access_details(
    hooked: Services,
) -> None:
    hooked.outbound = PRIVATE_ALLOWED  # both test servers listen on loopback
    stolen = json.dumps({"details": {"username": "from-the-redirect"}}).encode()
    with (
        endpoint(200, body=stolen) as landing,
        endpoint(302, headers={"Location": landing.url + "steal"}) as mover,
    ):
        add_lab(hooked, type_="webhook", config={"url": mover.url + "grant", "secret": SECRET})
        with pytest.raises(GrantFailed, match="does not follow redirects") as failed:
            ask(hooked)
    assert f"redirect (302) to `http://127.0.0.1:{landing.port}`" in str(failed.value)
    assert "steal" not in str(failed.value), "the redirect's path is never shown"
    assert [hit.method for hit in mover.hits] == ["POST", "POST"], "tried, as a failure"
    assert landing.hits == [], "the redirect was not followed"
    (request,) = hooked.store.find_nodes("AccessRequest", equals={"resource": "lab/db"})
    assert request.props["state"] == "FAILED"
    assert access_keys(hooked) == []
    assert "from-the-redirect" not in json.dumps(request.props, default=str)
    with pytest.raises(StateConflict, match="is FAILED: its access details are gone"):
        access_details(hooked, viewer=DEMO_GRANTEE, request=request.key)


def test_a_name_is_checked_by_what_it_resolves_to_at_save_time_and_at_every_connect(
    hooked: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name resolved public when saved and private when called."""
    answers = {"hooks.example.com": "93.184.216.34"}

    def resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        return [ipaddress.ip_address(answers[host])]

    monkeypatch.setattr("broker.outbound._resolve", resolve)
    with endpoint(200) as receiver:
        url = f"http://hooks.example.com:{receiver.port}/provision"
        answers["hooks.example.com"] = "10.0.0.8"
        with pytest.raises(
            InvalidInput, match=re.escape("resolves to `10.0.0.8`, a private address")
        ):
            add_lab(hooked, type_="webhook", config={"url": url, "secret": SECRET})
        answers["hooks.example.com"] = "93.184.216.34"
        add_lab(hooked, type_="webhook", config={"url": url, "secret": SECRET})
        answers["hooks.example.com"] = "127.0.0.1"  # the receiver's own address now
        with pytest.raises(
            GrantFailed, match=re.escape("resolves to `127.0.0.1`, a loopback address")
        ):
            ask(hooked)
    assert receiver.hits == [], "the rebound address was never connected to"
    assert access_keys(hooked) == []


def test_the_connection_goes_to_a_checked_address_and_keeps_the_host_name() -> None:
    with endpoint(204) as receiver:
        url = f"http://localhost:{receiver.port}/in?x=1"
        answer = PRIVATE_ALLOWED.post(url, body=b"{}", headers={}, timeout=5)
        with pytest.raises(OutboundFailed, match="`localhost`, a local or internal host"):
            PUBLIC.post(url, body=b"{}", headers={}, timeout=5)
    assert answer.status == 204
    [hit] = receiver.hits
    assert hit.method == "POST" and hit.path == "/in?x=1"
    assert hit.headers["Host"] == f"localhost:{receiver.port}"


def _self_signed_for_localhost(folder: Path) -> tuple[Path, Path]:
    """A certificate for the name `localhost` only (no IP address), and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def test_https_to_a_pinned_address_still_verifies_the_certificate_for_the_host_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert_file, key_file = _self_signed_for_localhost(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))  # trusted by the default context
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert_file, key_file)
    with endpoint(204, tls=tls) as receiver:
        answer = PRIVATE_ALLOWED.post(
            f"https://localhost:{receiver.port}/in", body=b"{}", headers={}, timeout=5
        )
        with pytest.raises(OutboundFailed, match="TLS failed"):
            PRIVATE_ALLOWED.post(
                f"https://127.0.0.1:{receiver.port}/in", body=b"{}", headers={}, timeout=5
            )
    assert answer.status == 204
    [hit] = receiver.hits
    assert hit.headers["Host"] == f"localhost:{receiver.port}"
