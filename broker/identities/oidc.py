"""OpenID Connect single sign-on, the protocol half: the authorization code flow with PKCE
(S256), `state` and `nonce`, and the ID token verified against the provider's JWKS.

Who may then sign in is `broker.identities.sso_sign_in`'s decision. Between the redirect
to the provider and its callback, the browser keeps a `PendingLogin` sealed with the
process key (encrypted and authenticated), so any Keyturn process sharing the graph can
finish a login another one started, and nothing is stored for abandoned logins.
"""

from __future__ import annotations

import base64
import hmac
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from broker.errors import Unauthenticated
from broker.grants import secrets
from broker.identities.users import checked_email
from policies.api_authz import ROLES

CALLBACK_PATH = "/auth/oidc/callback"
PENDING_SECONDS = 600.0  # a login not finished within 10 minutes starts again
_LEEWAY_SECONDS = 60  # clock skew allowed between Keyturn and the provider
_DISCOVERY_SECONDS = 3600.0
_HTTP_TIMEOUT = 10.0
# Asymmetric algorithms only: never `none`, never a MAC keyed by something the caller knows.
_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA")
_SCOPE = "openid email profile"


@dataclass(frozen=True)
class OidcConfig:
    """The provider Keyturn trusts and how its people map to Keyturn roles."""

    issuer: str
    client_id: str
    client_secret: str
    # The claim (e.g. `groups`) whose values `role_map` turns into a role for a new person.
    role_claim: str | None = None
    role_map: Mapping[str, str] = field(default_factory=dict)
    # Email domains whose people may join with `default_role` without an invitation.
    allowed_domains: frozenset[str] = frozenset()
    default_role: str | None = None
    scope: str = _SCOPE

    def __post_init__(self) -> None:
        roles = [*self.role_map.values(), *([self.default_role] if self.default_role else [])]
        for role in roles:
            if role not in ROLES:
                raise ValueError(
                    f"single sign-on maps to role `{role}`, which Keyturn does not have: "
                    f"use one of {', '.join(ROLES)}"
                )
        if self.role_map and not self.role_claim:
            raise ValueError("a single sign-on role map needs the claim it reads: set the claim")


@dataclass(frozen=True)
class PendingLogin:
    """What the browser holds between the redirect and the callback, sealed."""

    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    started_at: float
    lifetime_seconds: ClassVar[float] = PENDING_SECONDS  # the cookie's max age

    def sealed(self) -> str:
        return secrets.seal(json.dumps(asdict(self)))

    @classmethod
    def unsealed(cls, text: str | None, *, now: float) -> PendingLogin:
        """The login `text` holds; raises Unauthenticated when it is missing, altered or old."""
        again = "start again from the sign-in page"
        if not text:
            raise Unauthenticated(
                f"no single sign-on was started in this browser, or it took too long: {again}"
            )
        try:
            pending = cls(**json.loads(secrets.unseal(text)))
        except (secrets.SecretsUnavailable, ValueError, TypeError):
            raise Unauthenticated(f"the single sign-on cookie is not valid: {again}") from None
        if not 0 <= now - pending.started_at <= PENDING_SECONDS:
            raise Unauthenticated(f"the single sign-on took longer than 10 minutes: {again}")
        return pending


@dataclass(frozen=True)
class VerifiedIdentity:
    """What the provider vouched for in a verified ID token."""

    issuer: str
    subject: str
    email: str
    name: str
    claims: Mapping[str, Any]


def begin_login(config: OidcConfig, *, redirect_uri: str) -> tuple[str, PendingLogin]:
    """The provider's authorization URL to send the browser to, and the login to keep."""
    metadata = _provider(config.issuer).metadata
    pending = PendingLogin(
        state=generate_token(43),
        nonce=generate_token(43),
        code_verifier=generate_token(64),  # 43..128 characters (RFC 7636)
        redirect_uri=redirect_uri,
        started_at=time.time(),
    )
    url = prepare_grant_uri(
        metadata["authorization_endpoint"],
        client_id=config.client_id,
        response_type="code",
        redirect_uri=redirect_uri,
        scope=config.scope,
        state=pending.state,
        nonce=pending.nonce,
        code_challenge=create_s256_code_challenge(pending.code_verifier),
        code_challenge_method="S256",
    )
    return url, pending


def finish_login(
    config: OidcConfig, pending: PendingLogin, callback: Mapping[str, str]
) -> VerifiedIdentity:
    """Check the callback's `state` (and `iss`), trade its code for tokens, and verify the
    ID token. Raises Unauthenticated, naming what failed, for anything not exactly right."""
    if callback.get("error"):
        raise Unauthenticated(
            f"the identity provider refused the sign-in (`{callback['error'][:100]}`): "
            "try again or ask an admin"
        )
    if not hmac.compare_digest(callback.get("state", ""), pending.state):
        raise Unauthenticated(
            "the sign-in answer does not belong to the sign-in this browser started "
            "(its `state` differs): start again from the sign-in page"
        )
    if "iss" in callback and callback["iss"] != config.issuer:  # RFC 9207: mix-up defence
        raise Unauthenticated(_from_another_issuer(callback["iss"]))
    code = callback.get("code", "")
    if not code:
        raise Unauthenticated("the sign-in answer has no code: start again from the sign-in page")
    id_token = _redeem(config, pending, code)
    return _verified(config, pending, id_token)


def _from_another_issuer(issuer: str) -> str:
    return f"the sign-in came from `{issuer[:200]}`, not the configured identity provider"


def _redeem(config: OidcConfig, pending: PendingLogin, code: str) -> str:
    token_endpoint = _provider(config.issuer).metadata["token_endpoint"]
    try:
        reply = httpx.post(
            token_endpoint,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": pending.redirect_uri,
                "code_verifier": pending.code_verifier,
            },
            auth=(config.client_id, config.client_secret),
            timeout=_HTTP_TIMEOUT,
        )
    except httpx.HTTPError as failure:
        raise Unauthenticated(_unreachable(config.issuer, failure)) from None
    body = _json_object(reply)
    if reply.status_code != 200:
        error = str(body.get("error", reply.status_code))[:100]
        raise Unauthenticated(
            f"the identity provider would not redeem the sign-in code (`{error}`): "
            "it may have been used already; start again from the sign-in page"
        )
    id_token = body.get("id_token")
    if not isinstance(id_token, str):
        raise Unauthenticated("the identity provider sent no ID token: ask an admin to check it")
    return id_token


def _verified(config: OidcConfig, pending: PendingLogin, id_token: str) -> VerifiedIdentity:
    provider = _provider(config.issuer)
    try:
        token = jwt.decode(id_token, provider.keys(id_token), algorithms=list(_ALGORITHMS))
    except (JoseError, ValueError):
        # Keys as last fetched may be stale under the same key id (a provider restored or
        # replaced at the same address): fetch them once more before refusing.
        try:
            token = jwt.decode(
                id_token, provider.keys(id_token, refetch=True), algorithms=list(_ALGORITHMS)
            )
        except (JoseError, ValueError) as failure:
            raise Unauthenticated(f"the ID token's signature does not verify: {failure}") from None
    claims = token.claims
    expected = jwt.JWTClaimsRegistry(
        leeway=_LEEWAY_SECONDS,
        iss={"essential": True, "value": config.issuer},
        aud={"essential": True, "value": config.client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": pending.nonce},
    )
    try:
        expected.validate(claims)
    except JoseError as failure:
        raise Unauthenticated(f"the ID token is not valid for Keyturn: {failure}") from None
    if isinstance(claims["aud"], list) and claims.get("azp", config.client_id) != config.client_id:
        raise Unauthenticated("the ID token was issued to another client: ask an admin")
    return _identity(config, claims)


def _identity(config: OidcConfig, claims: Mapping[str, Any]) -> VerifiedIdentity:
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise Unauthenticated(
            "the identity provider did not say your email address: ask an admin to release "
            "the `email` claim to Keyturn"
        )
    if claims.get("email_verified") is False:
        raise Unauthenticated(
            f"the identity provider has not verified `{email[:200]}`: verify it there first"
        )
    name = claims.get("name")
    return VerifiedIdentity(
        issuer=config.issuer,
        subject=str(claims["sub"]),
        email=checked_email(email),
        name=name if isinstance(name, str) else "",
        claims=dict(claims),
    )


def _unreachable(issuer: str, failure: Exception) -> str:
    return (
        f"the identity provider `{issuer}` cannot be reached ({type(failure).__name__}): "
        "try again later or ask an admin"
    )


def _json_object(reply: httpx.Response) -> dict[str, Any]:
    try:
        body = reply.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


@dataclass
class _Provider:
    """An issuer's discovery document and signing keys, as last fetched."""

    issuer: str
    metadata: dict[str, Any]
    fetched_at: float
    _jwks: KeySet | None = None

    def keys(self, id_token: str, *, refetch: bool = False) -> KeySet:
        """The provider's keys; fetched again when asked to or when the token names a key
        not among them (the provider rotated its keys)."""
        kid = _key_id(id_token)
        known = self._jwks
        if refetch or known is None or (kid and not any(k.kid == kid for k in known.keys)):
            published: Any = _get_json(self.metadata["jwks_uri"], self.issuer)
            try:
                known = KeySet.import_key_set(published)
            except (JoseError, ValueError, KeyError, TypeError):
                raise Unauthenticated(
                    f"the identity provider `{self.issuer}` publishes keys Keyturn cannot "
                    "read: ask an admin to check it"
                ) from None
            self._jwks = known
        return known


_providers: dict[str, _Provider] = {}
_providers_lock = threading.Lock()


def _provider(issuer: str) -> _Provider:
    with _providers_lock:
        known = _providers.get(issuer)
        if known and time.monotonic() - known.fetched_at < _DISCOVERY_SECONDS:
            return known
    metadata = _get_json(f"{issuer.rstrip('/')}/.well-known/openid-configuration", issuer)
    if metadata.get("issuer") != issuer:  # OpenID Connect Discovery 1.0, section 4.3
        raise Unauthenticated(_from_another_issuer(str(metadata.get("issuer"))))
    for needed in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(metadata.get(needed), str):
            raise Unauthenticated(
                f"the identity provider `{issuer}` does not publish `{needed}`: ask an admin"
            )
    fresh = _Provider(issuer, metadata, time.monotonic())
    with _providers_lock:
        _providers[issuer] = fresh
    return fresh


def _get_json(url: str, issuer: str) -> dict[str, Any]:
    try:
        reply = httpx.get(url, timeout=_HTTP_TIMEOUT)
    except httpx.HTTPError as failure:
        raise Unauthenticated(_unreachable(issuer, failure)) from None
    body = _json_object(reply)
    if reply.status_code != 200 or not body:
        raise Unauthenticated(
            f"the identity provider `{issuer}` answered {reply.status_code} for `{url}`: "
            "ask an admin to check KEYTURN_OIDC_ISSUER"
        )
    return body


def _key_id(id_token: str) -> str | None:
    try:
        header = json.loads(_b64decode(id_token.split(".", 1)[0]))
    except ValueError:
        return None
    kid = header.get("kid") if isinstance(header, dict) else None
    return kid if isinstance(kid, str) else None


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
