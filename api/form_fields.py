"""The small bodies the `/auth` routes read: a few string fields, as JSON or, from the
plain HTML pages, as a form; bounded in size and precise about what is wrong."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from litestar import Request

MAX_BODY = 16 * 1024  # an email or a token and a password (at most 256 characters) fit many times


class BadBody(Exception):
    """The body is not the fields asked for: the message says what to send."""


async def string_fields(
    request: Request[Any, Any, Any], *names: str, from_form: bool = False
) -> dict[str, str]:
    """The string fields `names` of the body (a JSON object, or a form when `from_form`);
    BadBody naming what is wrong."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise BadBody(f"the request body is larger than {MAX_BODY} bytes")
    body = await request.body()
    if len(body) > MAX_BODY:
        raise BadBody(f"the request body is larger than {MAX_BODY} bytes")
    document: Any
    try:
        if from_form:
            pairs = parse_qs(body.decode("utf-8"), strict_parsing=False)
            document = {k: v[0] for k, v in pairs.items() if len(v) == 1}
        else:
            document = json.loads(body)
    except (ValueError, RecursionError):
        document = None
    if not isinstance(document, dict):
        wanted = ", ".join(f'"{name}": "..."' for name in names)
        raise BadBody(f"send a JSON object: {{{wanted}}}")
    for name in names:
        if not isinstance(document.get(name), str):
            raise BadBody(f"`{name}` must be a string: add it to the body")
    return {name: document[name] for name in names}
