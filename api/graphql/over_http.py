"""One GraphQL request over HTTP, run on the schema and answered in one JSON response.

`api.http_guard` has checked the method, the content type, the body and the caller by the
time this runs, which is everything strawberry's HTTP view and Litestar's route handling
would do again (parse the body, resolve dependencies, build a response object): in a
profile of `{ me { email } }` those layers cost more CPU than the query itself. The schema
still runs every one of its extensions (`api.graphql.guard`'s checks, the limits, the
document cache), so what a request may do is decided exactly as before.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from litestar import Request
from litestar.types import Receive, Scope, Send
from strawberry.http import process_result
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from api.graphql.context import KeyturnContext
from api.graphql.fast_json import dumps
from api.graphql.schema import schema
from broker import Services
from graph import Node

# POST carries queries and mutations; subscriptions have no transport here.
_OVER_POST = frozenset({OperationType.QUERY, OperationType.MUTATION})


async def answer(
    services: Services,
    viewer: Node,
    body: dict[str, Any],
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    """Run the GraphQL request `body` (checked by the guard) as `viewer` and answer it."""
    context = {
        "keyturn": KeyturnContext(services=services, viewer=viewer, why_anonymous=""),
        # The request itself: its address for links made here, its `receive` for noticing
        # a client that went away.
        "request": Request(scope, receive),
    }
    try:
        result = await schema.execute(
            body["query"],
            variable_values=body.get("variables"),
            context_value=context,
            operation_name=body.get("operationName"),
            allowed_operation_types=_OVER_POST,
            operation_extensions=body.get("extensions"),
        )
    except CannotGetOperationTypeError as unknown:
        await _send(send, 400, _error(unknown.as_http_error_reason(), "bad_request"))
        return
    except InvalidOperationTypeError as refused:
        await _send(send, 400, _error(refused.as_http_error_reason("POST"), "bad_request"))
        return
    await _send(send, 200, dumps(process_result(result)))


def _error(message: str, code: str) -> bytes:
    return dumps({"errors": [GraphQLError(message, extensions={"code": code}).formatted]})


async def _send(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})
