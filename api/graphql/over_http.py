"""One GraphQL request over HTTP, run and answered in one JSON response.

`api.http_guard` has checked the method, the content type, the body and the caller by the
time this runs, which is everything strawberry's HTTP view and Litestar's route handling
would do again (parse the body, resolve dependencies, build a response object): in a
profile of `{ me { email } }` those layers cost more CPU than the query itself.
`api.graphql.operation` runs every check on the operation itself.
"""

from __future__ import annotations

from typing import Any

from graphql import ExecutionResult, GraphQLError
from litestar import Request
from litestar.types import Receive, Scope, Send

from api.graphql.context import KeyturnContext
from api.graphql.fast_json import dumps
from api.graphql.operation import NotRunnable, run_operation
from broker import Services
from graph import Node


async def answer(
    services: Services,
    viewer: Node,
    body: dict[str, Any],
    scope: Scope,
    receive: Receive,
    send: Send,
    headers: list[tuple[bytes, bytes]],
) -> None:
    """Run the GraphQL request `body` (checked by the guard) as `viewer` and answer it with
    `headers` added to the response's own."""
    context = {
        "keyturn": KeyturnContext(services=services, viewer=viewer, why_anonymous=""),
        # The request itself, for links made here that need its address.
        "request": Request(scope, receive),
    }
    try:
        result = await run_operation(
            context,
            body["query"],
            variables=body.get("variables"),
            operation_name=body.get("operationName"),
            receive=receive,
        )
    except NotRunnable as refused:
        await _send(send, 400, _error(str(refused), "bad_request"), headers)
        return
    await _send(send, 200, dumps(_formatted(result)), headers)


def _formatted(result: ExecutionResult) -> dict[str, Any]:
    answer: dict[str, Any] = {"data": result.data}
    if result.errors:
        answer["errors"] = [error.formatted for error in result.errors]
    return answer


def _error(message: str, code: str) -> bytes:
    return dumps({"errors": [GraphQLError(message, extensions={"code": code}).formatted]})


async def _send(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})
