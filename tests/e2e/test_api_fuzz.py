"""Schemathesis fuzzes every query and mutation over HTTP: no answer is a server error.

It runs as its own process (`st run`, GraphQL mode) against the live server, once as an
admin and once as a grantee, each with a token of its own. It reads the schema as SDL (live
introspection is refused past the depth limit); `revokeToken` is left out so it cannot
revoke the token it runs with. What counts as a server error is in
`tests.support.schemathesis_hooks`; every recorded answer is also checked here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from api.graphql.schema import schema
from broker import issue_api_token
from broker.demo import DEMO_ADMIN, DEMO_GRANTEE
from tests.e2e.conftest import LiveKeyturn
from tests.support.schemathesis_hooks import internal_errors

REPO = Path(__file__).resolve().parents[2]
# Test cases per operation: about 700 requests and 20 seconds per caller on the embedded graph.
MAX_EXAMPLES = 15
SEED = 10


def _fuzz(
    live: LiveKeyturn, owner: str, workdir: Path
) -> tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    token = issue_api_token(live.services, owner=owner, name="fuzz")
    sdl = workdir / "schema.graphql"
    sdl.write_text(schema.as_str() + "\n")
    paths = [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(paths),
        "SCHEMATHESIS_HOOKS": "tests.support.schemathesis_hooks",
    }
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        str(sdl),
        "--url",
        f"{live.base_url}/graphql",
        "--header",
        f"Authorization: Bearer {token}",
        "--exclude-name",
        "Mutation.revokeToken",
        "--checks",
        "keyturn_no_server_error",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--no-color",
        "--report",
        "har",
        "--report-har-path",
        str(workdir / "run.har"),
    ]
    run = subprocess.run(
        command, cwd=workdir, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    har = workdir / "run.har"
    entries: list[dict[str, Any]] = (
        json.loads(har.read_text())["log"]["entries"] if har.exists() else []
    )
    return run, entries


@pytest.mark.timeout(600)
@pytest.mark.parametrize("owner", [DEMO_ADMIN, DEMO_GRANTEE])
def test_fuzzing_every_operation_finds_no_server_error(
    live: LiveKeyturn, owner: str, tmp_path: Path
) -> None:
    run, entries = _fuzz(live, owner, tmp_path)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert len(entries) >= 200, f"schemathesis sent only {len(entries)} requests"
    answered = 0
    for entry in entries:
        status = entry["response"]["status"]
        text = entry["response"]["content"].get("text") or ""
        body = json.loads(text) if text else None
        found = internal_errors(status, body)
        assert not found, (found, entry["request"].get("postData", {}).get("text"))
        assert status != 401, "the fuzzing token stopped working mid-run"
        answered += bool(isinstance(body, dict) and body.get("data"))
    assert answered >= 10, "hardly any request was served: the run tested refusals only"


def test_the_fuzz_check_tells_server_errors_from_refusals() -> None:
    """The check above is only as good as this: refusals pass, failures do not."""
    refused = {
        "data": None,
        "errors": [{"message": "no", "path": ["x"], "extensions": {"code": "not_found"}}],
    }
    invalid = {"errors": [{"message": "Cannot query field `y`", "locations": []}]}
    assert internal_errors(200, refused) == []
    assert internal_errors(200, invalid) == []
    assert (
        internal_errors(
            401, {"errors": [{"message": "sign in", "extensions": {"code": "unauthenticated"}}]}
        )
        == []
    )
    assert internal_errors(500, None) == ["HTTP 500"]
    assert internal_errors(502, refused) == ["HTTP 502"]
    masked = {
        "errors": [
            {
                "message": "internal error (id 1a2b)",
                "path": ["x"],
                "extensions": {"code": "internal"},
            }
        ]
    }
    assert internal_errors(200, masked) == ["internal error: internal error (id 1a2b)"]
    unmapped = {"data": None, "errors": [{"message": "KeyError: 'k'", "path": ["x"]}]}
    assert internal_errors(200, unmapped) == [
        "a resolver error without a code (an unmapped exception): KeyError: 'k'"
    ]
    assert internal_errors(200, ["not", "an", "object"]) == [
        "HTTP 200 with a body that is not a JSON object"
    ]
