"""The domain: one use case per module, the request state machine and the expiry scheduler."""

from broker.api_tokens import authenticate, issue_api_token
from broker.approve_request import approve_request
from broker.errors import (
    AccessDenied,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    StateConflict,
    Unauthenticated,
)
from broker.expire_grants import expire_due_grants
from broker.grant_request import GrantFailed, grant_request
from broker.reject_request import reject_request
from broker.request_access import request_access
from broker.save_access_flow import load_flows_into_engine, save_access_flow
from broker.scheduler import ExpiryScheduler
from broker.services import Services
from broker.states import RequestState

__all__ = [
    "AccessDenied",
    "DomainError",
    "ExpiryScheduler",
    "Forbidden",
    "GrantFailed",
    "InvalidInput",
    "NotFound",
    "RequestState",
    "Services",
    "StateConflict",
    "Unauthenticated",
    "approve_request",
    "authenticate",
    "expire_due_grants",
    "grant_request",
    "issue_api_token",
    "load_flows_into_engine",
    "reject_request",
    "request_access",
    "save_access_flow",
]
