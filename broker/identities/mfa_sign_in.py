"""Finishing a sign-in with its second factor: the pending sign-in's token (from the
password step) and a current code or a recovery code give the session."""

from __future__ import annotations

from broker.errors import Unauthenticated
from broker.identities.mfa import check_second_factor
from broker.identities.mfa_pending import STALE, live_challenge
from broker.identities.sessions import StartedSession, start_session
from broker.services import Services
from graph import ConflictError, SetProps


def finish_mfa_sign_in(services: Services, *, token: str, code: str, client: str) -> StartedSession:
    """The session the pending sign-in `token` was waiting for, once `code` proves the
    second factor. A wrong code leaves the pending sign-in as it was (the throttle counts
    it); raises Unauthenticated when the token is unknown, used or expired, and what
    `check_second_factor` raises for the code."""
    challenge = live_challenge(services, token)
    user = str(challenge.props["user"])
    check_second_factor(services, user=user, code=code, purpose="sign_in", recovery=True)
    use = SetProps("MfaChallenge", challenge.key, {"used_at": services.clock()}, {"used_at": None})
    try:
        services.store.write([use])  # single use: the second of two at once finds it used
    except ConflictError:
        raise Unauthenticated(STALE) from None
    return start_session(services, user=user, method="password", client=client)
