"""The domain, one use case per module, grouped by area: `requests/` (asking, deciding,
the state machine), `grants/` (writing, revoking, extending), `flows/` (flows, forbid rules,
bundles), `identities/` (tokens, roles, disabling, directory sync), `reads/`, `jobs/` (the
system's timed work), and the libraries `approval/`, `audit/`, `notify/`, `integrations/`.

This names what the API and the CLI may use; they import nothing else from the broker
(tests/unit/api/test_broker_surface.py keeps it so).
"""

from broker.audit import AuditEvent, AuditFilter, VerifyReport, export, read_events, verify_chain
from broker.demo import demo_is_seeded, seed_demo
from broker.errors import (
    AccessDenied,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    StateConflict,
    Unauthenticated,
)
from broker.flows import flow_reports
from broker.flows.save_access_flow import load_flows_into_engine, save_access_flow
from broker.flows.save_bundle import delete_bundle, save_bundle
from broker.flows.save_forbid_rule import delete_forbid_rule, save_forbid_rule
from broker.grants import secrets
from broker.grants._grants import RevokeFailed
from broker.grants._write import GrantFailed
from broker.grants.access_details import access_details
from broker.grants.complete_task import complete_task
from broker.grants.extend_grant import extend_grant
from broker.grants.grant_request import grant_request
from broker.grants.revoke_grant import revoke_grant
from broker.grants.revoke_grants import revoke_grants
from broker.identities.api_tokens import authenticate, issue_api_token
from broker.identities.disable_user import disable_user
from broker.identities.manage_tokens import issue_token, list_tokens, revoke_token
from broker.identities.set_user_role import set_user_role
from broker.identities.sync_identities import (
    DirectoryGroup,
    DirectoryUser,
    SyncReport,
    sync_identities,
)
from broker.integrations import IntegrationProvisioner
from broker.integrations.save_integration import save_integration
from broker.jobs.escalate_requests import escalate_requests
from broker.jobs.expire_grants import expire_due_grants
from broker.jobs.notify_expiring_soon import notify_expiring_soon
from broker.jobs.recover_grants import recover_grants
from broker.jobs.scheduler import ExpiryScheduler
from broker.jobs.start_scheduled import start_scheduled
from broker.jobs.time_out_requests import time_out_requests
from broker.notify import NotifyConfig
from broker.outbound import Outbound
from broker.reads import graph_queries
from broker.reads.activity_log import LogPage, activity_log, verify_activity_log
from broker.reads.queries import active_grants, my_profile, my_requests, pending_approvals
from broker.reads.task_queries import my_tasks
from broker.requests.approve_request import approve_request
from broker.requests.cancel_request import cancel_request
from broker.requests.reject_request import reject_request
from broker.requests.request_access import request_access
from broker.requests.request_again import request_again
from broker.requests.request_bundle import request_bundle
from broker.requests.states import RequestState
from broker.services import Services

__all__ = [
    "AccessDenied",
    "AuditEvent",
    "AuditFilter",
    "DirectoryGroup",
    "DirectoryUser",
    "DomainError",
    "ExpiryScheduler",
    "Forbidden",
    "GrantFailed",
    "IntegrationProvisioner",
    "InvalidInput",
    "LogPage",
    "NotFound",
    "NotifyConfig",
    "Outbound",
    "RequestState",
    "RevokeFailed",
    "Services",
    "StateConflict",
    "SyncReport",
    "Unauthenticated",
    "VerifyReport",
    "access_details",
    "active_grants",
    "activity_log",
    "approve_request",
    "authenticate",
    "cancel_request",
    "complete_task",
    "delete_bundle",
    "delete_forbid_rule",
    "demo_is_seeded",
    "disable_user",
    "escalate_requests",
    "expire_due_grants",
    "export",
    "extend_grant",
    "flow_reports",
    "grant_request",
    "graph_queries",
    "issue_api_token",
    "issue_token",
    "list_tokens",
    "load_flows_into_engine",
    "my_profile",
    "my_requests",
    "my_tasks",
    "notify_expiring_soon",
    "pending_approvals",
    "read_events",
    "recover_grants",
    "reject_request",
    "request_access",
    "request_again",
    "request_bundle",
    "revoke_grant",
    "revoke_grants",
    "revoke_token",
    "save_access_flow",
    "save_bundle",
    "save_forbid_rule",
    "save_integration",
    "secrets",
    "seed_demo",
    "set_user_role",
    "start_scheduled",
    "sync_identities",
    "time_out_requests",
    "verify_activity_log",
    "verify_chain",
]
