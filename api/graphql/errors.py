"""What the log and the caller see of a GraphQL error.

Refusals (a domain error, a bad document, a limit) are expected: one INFO line with the code
and the field path, never the document or its variables (they may hold secrets, such as an
integration's inline config). Anything else is a defect: logged at ERROR with its traceback
under a correlation id, and the caller sees only that id.
"""

from __future__ import annotations

import logging
import secrets

from graphql import GraphQLError

from broker import DomainError

log = logging.getLogger("keyturn.api.graphql")


def _expected(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None or isinstance(original, (GraphQLError, DomainError)):
        return True
    # A variable that does not parse names its place in the document, and has no path.
    return error.path is None and bool(error.nodes)


def _where(error: GraphQLError) -> str:
    return ".".join(str(step) for step in error.path) if error.path else "document"


def screened(errors: list[GraphQLError]) -> list[GraphQLError]:
    """`errors` logged, with unexpected ones replaced by a masked error naming its id."""
    shown = []
    for error in errors:
        if _expected(error):
            code = (error.extensions or {}).get("code", "invalid_document")
            log.info("graphql refused: %s at %s", code, _where(error))
            shown.append(error)
            continue
        ident = secrets.token_hex(4)
        original = error.original_error
        assert original is not None  # an expected error otherwise
        log.error(
            "graphql internal error %s at %s",
            ident,
            _where(error),
            exc_info=(type(original), original, original.__traceback__),
        )
        shown.append(
            GraphQLError(
                f"internal error (id {ident}): try again, and give this id to your admin "
                "if it happens again",
                nodes=error.nodes,
                path=error.path,
                extensions={"code": "internal", "id": ident},
            )
        )
    return shown
