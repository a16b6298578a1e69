"""The GraphQL schema: each area's queries and mutations, merged, behind the limits.

Resolvers are thin: each calls one broker use case, which asks the API policies first.
"""

from __future__ import annotations

import strawberry
from strawberry.extensions import MaxTokensLimiter

from api.graphql.limits import MAX_QUERY_DEPTH, depth_limit
from api.graphql.mutations_admin import AdminMutations
from api.graphql.mutations_bundles import BundleMutations
from api.graphql.mutations_flows import FlowMutations
from api.graphql.mutations_grants import GrantMutations
from api.graphql.mutations_requests import RequestMutations
from api.graphql.mutations_tokens import TokenMutations
from api.graphql.queries_audit import AuditQueries
from api.graphql.queries_flows import FlowQueries
from api.graphql.queries_grants import GrantQueries
from api.graphql.queries_graph import GraphQueries
from api.graphql.queries_requests import RequestQueries
from api.graphql.queries_tokens import TokenQueries

MAX_QUERY_TOKENS = 2000

__all__ = ["MAX_QUERY_DEPTH", "MAX_QUERY_TOKENS", "schema"]


@strawberry.type
class Query(RequestQueries, GrantQueries, AuditQueries, GraphQueries, FlowQueries, TokenQueries):
    pass


@strawberry.type
class Mutation(
    RequestMutations,
    BundleMutations,
    GrantMutations,
    FlowMutations,
    AdminMutations,
    TokenMutations,
):
    pass


schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    extensions=[depth_limit, lambda: MaxTokensLimiter(max_token_count=MAX_QUERY_TOKENS)],
)
