"""The domain: one use case per module, the request state machine and the expiry scheduler.

This names what the API, the CLI and tests may use; everything else is internal.
"""

from broker._grants import RevokeFailed
from broker.access_details import access_details
from broker.api_tokens import authenticate, issue_api_token
from broker.approve_request import approve_request
from broker.cancel_request import cancel_request
from broker.complete_task import complete_task
from broker.disable_user import disable_user
from broker.errors import (
    AccessDenied,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    StateConflict,
    Unauthenticated,
)
from broker.escalate_requests import escalate_requests
from broker.expire_grants import expire_due_grants
from broker.extend_grant import extend_grant
from broker.grant_request import GrantFailed, grant_request
from broker.notify_expiring_soon import notify_expiring_soon
from broker.recover_grants import recover_grants
from broker.reject_request import reject_request
from broker.request_access import request_access
from broker.request_again import request_again
from broker.request_bundle import request_bundle
from broker.revoke_grant import revoke_grant
from broker.revoke_grants import revoke_grants
from broker.save_access_flow import load_flows_into_engine, save_access_flow
from broker.save_bundle import delete_bundle, save_bundle
from broker.save_integration import save_integration
from broker.scheduler import ExpiryScheduler
from broker.services import Services
from broker.set_user_role import set_user_role
from broker.start_scheduled import start_scheduled
from broker.states import RequestState
from broker.sync_identities import DirectoryGroup, DirectoryUser, SyncReport, sync_identities
from broker.time_out_requests import time_out_requests

__all__ = [
    "AccessDenied",
    "DirectoryGroup",
    "DirectoryUser",
    "DomainError",
    "ExpiryScheduler",
    "Forbidden",
    "GrantFailed",
    "InvalidInput",
    "NotFound",
    "RequestState",
    "RevokeFailed",
    "Services",
    "StateConflict",
    "SyncReport",
    "Unauthenticated",
    "access_details",
    "approve_request",
    "authenticate",
    "cancel_request",
    "complete_task",
    "delete_bundle",
    "disable_user",
    "escalate_requests",
    "expire_due_grants",
    "extend_grant",
    "grant_request",
    "issue_api_token",
    "load_flows_into_engine",
    "notify_expiring_soon",
    "recover_grants",
    "reject_request",
    "request_access",
    "request_again",
    "request_bundle",
    "revoke_grant",
    "revoke_grants",
    "save_access_flow",
    "save_bundle",
    "save_integration",
    "set_user_role",
    "start_scheduled",
    "sync_identities",
    "time_out_requests",
]
