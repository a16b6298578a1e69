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
from broker.identities.api_tokens import (
    DEFAULT_TOKEN_EXPIRY_DAYS,
    authenticate,
    issue_api_token,
    read_only_refusal,
)
from broker.identities.disable_user import disable_user
from broker.identities.first_password import set_first_password
from broker.identities.invitations import (
    REFUSALS,
    InviteState,
    accept_invite,
    invite_user,
    look_up_invite,
    resend_invite,
    revoke_invite,
)
from broker.identities.manage_tokens import issue_token, list_tokens, revoke_token
from broker.identities.oidc import OidcConfig, PendingLogin, begin_login, finish_login
from broker.identities.password_reset import request_password_reset, reset_password
from broker.identities.sessions import (
    SessionViewer,
    StartedSession,
    csrf_matches,
    csrf_token_for,
    end_session,
    session_limits,
    session_viewer,
    start_session,
)
from broker.identities.set_user_role import set_user_role
from broker.identities.sign_in import SignInRefused, SignInThrottled, sign_in
from broker.identities.sso_sign_in import sign_in_with_sso
from broker.identities.sync_identities import (
    DirectoryGroup,
    DirectoryUser,
    SyncReport,
    sync_identities,
)
from broker.identities.users import (
    UserPage,
    UserView,
    delete_user,
    enable_user,
    list_users,
    update_user,
    user_view,
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
    "DEFAULT_TOKEN_EXPIRY_DAYS",
    "REFUSALS",
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
    "InviteState",
    "LogPage",
    "NotFound",
    "NotifyConfig",
    "OidcConfig",
    "Outbound",
    "PendingLogin",
    "RequestState",
    "RevokeFailed",
    "Services",
    "SessionViewer",
    "SignInRefused",
    "SignInThrottled",
    "StartedSession",
    "StateConflict",
    "SyncReport",
    "Unauthenticated",
    "UserPage",
    "UserView",
    "VerifyReport",
    "accept_invite",
    "access_details",
    "active_grants",
    "activity_log",
    "approve_request",
    "authenticate",
    "begin_login",
    "cancel_request",
    "complete_task",
    "csrf_matches",
    "csrf_token_for",
    "delete_bundle",
    "delete_forbid_rule",
    "delete_user",
    "demo_is_seeded",
    "disable_user",
    "enable_user",
    "end_session",
    "escalate_requests",
    "expire_due_grants",
    "export",
    "extend_grant",
    "finish_login",
    "flow_reports",
    "grant_request",
    "graph_queries",
    "invite_user",
    "issue_api_token",
    "issue_token",
    "list_tokens",
    "list_users",
    "load_flows_into_engine",
    "look_up_invite",
    "my_profile",
    "my_requests",
    "my_tasks",
    "notify_expiring_soon",
    "pending_approvals",
    "read_events",
    "read_only_refusal",
    "recover_grants",
    "reject_request",
    "request_access",
    "request_again",
    "request_bundle",
    "request_password_reset",
    "resend_invite",
    "reset_password",
    "revoke_grant",
    "revoke_grants",
    "revoke_invite",
    "revoke_token",
    "save_access_flow",
    "save_bundle",
    "save_forbid_rule",
    "save_integration",
    "secrets",
    "seed_demo",
    "session_limits",
    "session_viewer",
    "set_first_password",
    "set_user_role",
    "sign_in",
    "sign_in_with_sso",
    "start_scheduled",
    "start_session",
    "sync_identities",
    "time_out_requests",
    "update_user",
    "user_view",
    "verify_activity_log",
    "verify_chain",
]
