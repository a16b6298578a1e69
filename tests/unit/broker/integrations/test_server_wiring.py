"""The server's wiring (api.server.open_services) reaches the fulfillers of a manual
integration: their task arrives by mail through whatever notifier the server set later."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from pathlib import Path

from broker import Services
from broker.demo import DEMO_APPROVER, DEMO_GRANTEE
from broker.integrations import task_key
from broker.notify import Notifier, OutboxMailer
from tests.support.grants_lab import add_lab, ask


def test_a_manual_grant_mails_its_fulfiller_through_the_servers_wiring(
    services: Services, tmp_path: Path
) -> None:
    # `services` comes from open_services; the notifier is swapped after wiring, as serve does.
    notifier = Notifier(mailer=OutboxMailer(tmp_path), public_url="https://keyturn.example")
    services.notifier = notifier
    add_lab(services, type_="manual", config={"fulfillers": [DEMO_APPROVER]})
    request = ask(services)
    assert notifier.drain(), "every mail was delivered"
    notifier.close()
    mails = [
        BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        for path in sorted(tmp_path.glob("*.eml"))
    ]
    (task,) = [m for m in mails if m["To"] == DEMO_APPROVER]
    assert task["Subject"] == f"Task: grant access to lab/db for {DEMO_GRANTEE}"
    assert task_key(request.key, "grant") in task.get_content()
