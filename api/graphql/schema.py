"""The GraphQL schema: each area's queries and mutations, merged, behind the limits.

Resolvers are thin: each calls one broker use case, which asks the API policies first.
`schema.graphql` at the repository root is this schema's SDL, written by `keyturn schema`.
"""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext

from api.graphql.document_cache import MAX_QUERY_TOKENS
from api.graphql.limits import MAX_QUERY_DEPTH
from api.graphql.mutations_admin import AdminMutations
from api.graphql.mutations_bundles import BundleMutations
from api.graphql.mutations_flows import FlowMutations
from api.graphql.mutations_grants import GrantMutations
from api.graphql.mutations_integrations import IntegrationMutations
from api.graphql.mutations_links import LinkMutations
from api.graphql.mutations_mfa import MfaMutations
from api.graphql.mutations_requests import RequestMutations
from api.graphql.mutations_tokens import TokenMutations
from api.graphql.mutations_users import UserMutations
from api.graphql.mutations_webhooks import WebhookMutations
from api.graphql.queries_audit import AuditQueries
from api.graphql.queries_bundles import BundleQueries
from api.graphql.queries_flows import FlowQueries
from api.graphql.queries_grants import GrantQueries
from api.graphql.queries_graph import GraphQueries
from api.graphql.queries_integrations import IntegrationQueries
from api.graphql.queries_links import LinkQueries
from api.graphql.queries_mfa import MfaQueries
from api.graphql.queries_portal import PortalQueries
from api.graphql.queries_requests import RequestQueries
from api.graphql.queries_tokens import TokenQueries
from api.graphql.queries_users import UserQueries
from api.graphql.queries_webhooks import WebhookQueries

__all__ = ["MAX_QUERY_DEPTH", "MAX_QUERY_TOKENS", "schema", "sdl"]


@strawberry.type
class Query(
    RequestQueries,
    PortalQueries,
    GrantQueries,
    AuditQueries,
    GraphQueries,
    FlowQueries,
    TokenQueries,
    UserQueries,
    MfaQueries,
    IntegrationQueries,
    LinkQueries,
    BundleQueries,
    WebhookQueries,
):
    pass


@strawberry.type
class Mutation(
    RequestMutations,
    BundleMutations,
    GrantMutations,
    FlowMutations,
    AdminMutations,
    TokenMutations,
    UserMutations,
    MfaMutations,
    IntegrationMutations,
    LinkMutations,
    WebhookMutations,
):
    pass


class _Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Nothing here: `api.graphql.errors` logs each error once, without the document
        (strawberry's default logs every error at ERROR with the whole document and its
        variables)."""


schema = _Schema(
    query=Query,
    mutation=Mutation,
    # No extensions: api.graphql.operation runs each check (guard, limits, caches) itself.
)


def sdl() -> str:
    """The schema as SDL, the text of `schema.graphql` (web codegen reads that file; live
    introspection is for signed-in callers only, and within the cost budget)."""
    return schema.as_str() + "\n"
