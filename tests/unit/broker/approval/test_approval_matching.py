"""When a step is complete: any-of, all-of with one person counting once, escalation."""

from __future__ import annotations

from broker.approval import Need, StepPlan

SECURITY = Need("group", "security")
DBA = Need("group", "dba")
NOBODY: frozenset[str] = frozenset()
SAM = frozenset({"security", "dba"})  # sam is in both groups
TOM = frozenset({"security"})
MIA = frozenset({"dba"})


def _plan(mode: str, *needs: Need, tier: frozenset[str] = NOBODY) -> StepPlan:
    return StepPlan(
        index=0,
        count=1,
        mode=mode,
        needs=needs,
        excluded=frozenset({"gus"}),
        escalation_users=tier,
    )


def test_any_of_is_complete_with_one_approval_from_anyone_it_names() -> None:
    plan = _plan("any", SECURITY, Need("user", "ann"))
    assert plan.complete({"mia": MIA, "ann": NOBODY})
    assert plan.complete({"tom": TOM})
    assert not plan.complete({"eve": NOBODY, "mia": MIA})
    assert not plan.complete({})


def test_all_of_needs_a_distinct_person_for_each_need() -> None:
    plan = _plan("all", SECURITY, DBA)
    assert not plan.complete({"sam": SAM}), "sam is in both groups but counts once"
    assert not plan.complete({"sam": SAM, "eve": NOBODY})
    assert plan.complete({"sam": SAM, "tom": TOM}), "tom covers security, so sam covers dba"
    assert plan.complete({"tom": TOM, "mia": MIA})


def test_all_of_reassigns_earlier_approvals_to_cover_every_need() -> None:
    plan = _plan("all", Need("group", "dba"), Need("user", "sam"))
    assert plan.complete({"sam": SAM, "mia": MIA})
    assert not plan.complete({"sam": SAM})


def test_the_requester_never_counts_even_in_the_group() -> None:
    assert not _plan("any", SECURITY).complete({"gus": TOM})


def test_a_missing_manager_is_a_need_nobody_meets() -> None:
    plan = _plan("all", Need("manager", ""))
    assert plan.users == NOBODY
    assert not plan.complete({"": NOBODY, "ann": NOBODY})


def test_an_escalation_approval_completes_any_step() -> None:
    plan = _plan("all", SECURITY, DBA, tier=frozenset({"boss"}))
    assert plan.complete({"boss": NOBODY})
    assert plan.users == frozenset({"boss"})
    assert plan.groups == frozenset({"security", "dba"})
