"""Page-size caps for every list field: `first` (at most `PAGE_CAP`) and `offset`.

The cost budget multiplies by `first`, so a list without a cap would let one document ask
for everything, times every alias.
"""

from __future__ import annotations

from typing import Annotated

import strawberry
from graphql import GraphQLError

PAGE_CAP = 500
DEFAULT_PAGE = 50

First = Annotated[int, strawberry.argument(description=f"how many to return, at most {PAGE_CAP}")]
Offset = Annotated[int, strawberry.argument(description="how many to skip first")]


def window(first: int, offset: int) -> slice:
    """The slice a page takes, checked before any work is done."""
    if not 0 <= first <= PAGE_CAP:
        raise GraphQLError(
            f"page size `{first}` is outside 0..{PAGE_CAP}: ask for at most {PAGE_CAP} "
            "and use `offset` for the next page",
            extensions={"code": "invalid_input"},
        )
    if offset < 0:
        raise GraphQLError(
            f"offset `{offset}` is negative: start from 0", extensions={"code": "invalid_input"}
        )
    return slice(offset, offset + first)
