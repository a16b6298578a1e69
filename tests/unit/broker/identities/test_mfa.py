"""The TOTP second factor in the broker: enrolment with a sealed secret and a confirming
code, codes accepted once within their window, throttled guessing, recovery codes used
once, disabling, and the activity log, which never holds a secret or a code."""

from __future__ import annotations

import json

import pytest

from broker import Services, audit
from broker.demo import DEMO_ADMIN, DEMO_GRANTEE
from broker.grants.secrets import unseal
from broker.identities import mfa
from broker.identities.mfa import (
    MfaCodeRefused,
    MfaCodeRequired,
    MfaNotEnrolled,
    begin_mfa_enrolment,
    check_second_factor,
    confirm_mfa_enrolment,
    disable_mfa,
)
from broker.identities.sign_in import SignInThrottled
from graph import Node
from tests.support.clock import ManualClock
from tests.unit.broker.identities.mfa_lab import code_at, enrol, make_local


def enrolled(services: Services, user: str = DEMO_GRANTEE) -> tuple[str, list[str]]:
    return enrol(services, user)


def _local(services: Services) -> str:
    return make_local(services, DEMO_GRANTEE)


def _user(services: Services, user: str = DEMO_GRANTEE) -> Node:
    found = services.store.get_node("User", user)
    assert found is not None
    return found


def _recovery_nodes(services: Services, user: str = DEMO_GRANTEE) -> list[Node]:
    return services.store.find_nodes("MfaRecoveryCode", equals={"user": user})


def _events(services: Services, prefix: str = "user.mfa") -> list[audit.AuditEvent]:
    return [e for e in audit.read_events(services.store) if e.kind.startswith(prefix)]


def test_enrolment_seals_the_secret_and_a_first_code_turns_mfa_on_with_ten_recovery_codes(
    services: Services,
) -> None:
    _local(services)
    started = begin_mfa_enrolment(services, user=DEMO_GRANTEE)
    assert started.uri.startswith("otpauth://totp/Keyturn:")
    assert f"secret={started.secret}" in started.uri
    stored = _user(services).props
    assert started.secret not in json.dumps(stored)  # sealed, not plain
    assert unseal(str(stored["mfa_secret"])) == started.secret
    assert stored.get("mfa_enrolled_at") is None  # not on before a code confirms it

    codes = confirm_mfa_enrolment(
        services, user=DEMO_GRANTEE, code=code_at(started.secret, services.clock())
    )
    assert len(codes) == len(set(codes)) == 10
    assert _user(services).props["mfa_enrolled_at"] == services.clock()
    kept = json.dumps([n.key for n in _recovery_nodes(services)] + [str(_user(services))])
    assert not any(code in kept or code.replace("-", "") in kept for code in codes)
    assert len(_recovery_nodes(services)) == 10
    (event,) = _events(services)
    assert event.kind == "user.mfa_enrolled"
    assert started.secret not in str(event) and not any(code in str(event) for code in codes)


def test_confirming_with_a_wrong_code_is_refused_and_leaves_mfa_off(services: Services) -> None:
    _local(services)
    secret = begin_mfa_enrolment(services, user=DEMO_GRANTEE).secret
    before = _user(services).props
    wrong = code_at(secret, services.clock() - 300)
    with pytest.raises(MfaCodeRefused, match="the code is wrong"):
        confirm_mfa_enrolment(services, user=DEMO_GRANTEE, code=wrong)
    assert _user(services).props == before
    assert _recovery_nodes(services) == []
    (failed,) = _events(services)
    assert (failed.kind, failed.data) == (
        "user.mfa_failed",
        {"purpose": "enrolment", "reason": "wrong_code"},
    )
    assert wrong not in str(failed)


def test_enrolling_again_while_mfa_is_on_is_refused(services: Services) -> None:
    enrolled(services)
    before = _user(services).props
    with pytest.raises(Exception, match="MFA is on for your account already"):
        begin_mfa_enrolment(services, user=DEMO_GRANTEE)
    assert _user(services).props == before


def test_an_account_without_a_password_cannot_enrol(services: Services) -> None:
    with pytest.raises(MfaNotEnrolled, match="for local accounts"):
        begin_mfa_enrolment(services, user=DEMO_GRANTEE)
    assert _user(services).props.get("mfa_secret") is None


def test_a_code_is_accepted_once_even_within_its_window(services: Services) -> None:
    secret, _ = enrolled(services)
    code = code_at(secret, services.clock())
    check_second_factor(services, user=DEMO_GRANTEE, code=code, purpose="test", recovery=False)
    step = _user(services).props["mfa_last_step"]
    with pytest.raises(MfaCodeRefused, match="used already"):
        check_second_factor(services, user=DEMO_GRANTEE, code=code, purpose="test", recovery=False)
    assert _user(services).props["mfa_last_step"] == step
    assert _events(services)[-1].data == {"purpose": "test", "reason": "replayed_code"}


def test_the_next_step_counts_and_two_steps_back_does_not(
    services: Services, clock: ManualClock
) -> None:
    secret, _ = enrolled(services)
    clock.advance(120)
    too_old = code_at(secret, clock() - 60)
    with pytest.raises(MfaCodeRefused, match="wrong"):
        check_second_factor(
            services, user=DEMO_GRANTEE, code=too_old, purpose="test", recovery=False
        )
    ahead = code_at(secret, clock() + 30)  # the phone's clock runs a little fast
    check_second_factor(services, user=DEMO_GRANTEE, code=ahead, purpose="test", recovery=False)
    # The current step's code is older than the one just used: a replay by the rule.
    with pytest.raises(MfaCodeRefused, match="used already"):
        check_second_factor(
            services, user=DEMO_GRANTEE, code=code_at(secret, clock()), purpose="t", recovery=False
        )


def test_a_missing_or_malformed_code_is_refused_clearly(services: Services) -> None:
    enrolled(services)
    for missing in (None, "", "   "):
        with pytest.raises(MfaCodeRequired, match="6-digit code"):
            check_second_factor(
                services, user=DEMO_GRANTEE, code=missing, purpose="test", recovery=False
            )
    with pytest.raises(MfaCodeRefused, match="6 digits"):
        check_second_factor(
            services, user=DEMO_GRANTEE, code="12ab56", purpose="test", recovery=False
        )


def test_wrong_codes_are_throttled_after_five_and_then_even_a_right_one_waits(
    services: Services, clock: ManualClock
) -> None:
    secret, _ = enrolled(services)
    right = code_at(secret, clock())
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(MfaCodeRefused):
            check_second_factor(
                services, user=DEMO_GRANTEE, code=wrong, purpose="test", recovery=False
            )
    with pytest.raises(SignInThrottled, match="too many wrong codes") as throttled:
        check_second_factor(services, user=DEMO_GRANTEE, code=right, purpose="test", recovery=False)
    assert 0 < throttled.value.retry_after <= 15 * 60
    assert _user(services).props.get("mfa_last_step") is not None  # the enrolment's only
    clock.advance(15 * 60)
    fresh = code_at(secret, clock())
    check_second_factor(services, user=DEMO_GRANTEE, code=fresh, purpose="test", recovery=False)
    assert all(wrong not in str(e) for e in _events(services))


def test_a_recovery_code_works_once_and_never_for_what_needs_a_fresh_code(
    services: Services,
) -> None:
    _, codes = enrolled(services)
    with pytest.raises(MfaCodeRefused, match="6 digits"):
        check_second_factor(
            services, user=DEMO_GRANTEE, code=codes[0], purpose="approval", recovery=False
        )
    typed = codes[0].upper().replace("-", " ")  # as people type them
    check_second_factor(services, user=DEMO_GRANTEE, code=typed, purpose="sign_in", recovery=True)
    used = _events(services, "user.mfa_recovery_code_used")
    assert [e.data for e in used] == [{"purpose": "sign_in", "left": 9}]
    assert codes[0] not in str(used)
    with pytest.raises(MfaCodeRefused, match="unknown or used already"):
        check_second_factor(
            services, user=DEMO_GRANTEE, code=codes[0], purpose="sign_in", recovery=True
        )
    assert len(_events(services, "user.mfa_recovery_code_used")) == 1


def test_one_users_recovery_code_is_nothing_to_another(services: Services) -> None:
    _, codes = enrolled(services)
    enrolled(services, DEMO_ADMIN)
    with pytest.raises(MfaCodeRefused, match="unknown or used already"):
        check_second_factor(services, user=DEMO_ADMIN, code=codes[0], purpose="t", recovery=True)


def test_disabling_needs_a_code_and_takes_the_recovery_codes_with_it(
    services: Services, clock: ManualClock
) -> None:
    secret, _ = enrolled(services)
    before = _user(services).props
    with pytest.raises(MfaCodeRefused):
        disable_mfa(services, user=DEMO_GRANTEE, code=code_at(secret, clock() - 600))
    assert _user(services).props == before and len(_recovery_nodes(services)) == 10
    disable_mfa(services, user=DEMO_GRANTEE, code=code_at(secret, clock()))
    after = _user(services).props
    assert {"mfa_secret", "mfa_enrolled_at", "mfa_last_step"}.isdisjoint(after)
    assert _recovery_nodes(services) == []
    assert _events(services)[-1].kind == "user.mfa_disabled"
    with pytest.raises(MfaNotEnrolled, match="nothing to disable"):
        disable_mfa(services, user=DEMO_GRANTEE, code=code_at(secret, clock()))


def test_disabling_with_a_recovery_code_logs_its_use(services: Services) -> None:
    _, codes = enrolled(services)
    disable_mfa(services, user=DEMO_GRANTEE, code=codes[3])
    kinds = [e.kind for e in _events(services)]
    assert kinds[-2:] == ["user.mfa_recovery_code_used", "user.mfa_disabled"]


def test_one_code_sent_twice_at_the_same_moment_counts_once(services: Services) -> None:
    """Both uses read the user before either writes (the worst interleaving, made
    certain): the compare-and-set on the last step refuses the second write."""
    secret, _ = enrolled(services)
    code = code_at(secret, services.clock())
    node = _user(services)
    first = mfa._prove(services, node, code, purpose="race", recovery=False)
    second = mfa._prove(services, node, code, purpose="race", recovery=False)
    mfa._write(services, first.ops, first.entries)
    step = _user(services).props["mfa_last_step"]
    with pytest.raises(MfaCodeRefused, match="used already"):
        mfa._write(services, second.ops, second.entries)
    assert _user(services).props["mfa_last_step"] == step
