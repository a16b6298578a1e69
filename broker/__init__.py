"""The domain, one use case per module, grouped by area: `requests/` (asking, deciding,
the state machine), `grants/` (writing, revoking, extending), `flows/` (flows, forbid rules,
bundles), `identities/` (tokens, roles, disabling, directory sync), `reads/`, `jobs/` (the
system's timed work), and the libraries `approval/`, `audit/`, `notify/`, `integrations/`.

This names what the API and the CLI may use; they import nothing else from the broker
(tests/unit/api/test_broker_surface.py keeps it so).
"""

from broker.audit import AuditEvent, AuditFilter, VerifyReport, export, read_events, verify_chain
from broker.demo import DEMO_PEOPLE, demo_is_seeded, seed_demo
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
from broker.identities import scim
from broker.identities.access_links import (
    IssuedLink,
    LinkOffer,
    LinkRefused,
    LinkState,
    create_access_link,
    disable_access_link,
    link_offer,
    link_state,
    list_access_links,
    offered_flow,
    rotate_access_link,
)
from broker.identities.api_tokens import (
    DEFAULT_TOKEN_EXPIRY_DAYS,
    authenticate,
    issue_api_token,
    read_only_refusal,
)
from broker.identities.disable_user import disable_user
from broker.identities.external_requesters import (
    LinkViewer,
    StartedLinkSession,
    end_link_session,
    link_access_details,
    link_requests,
    link_viewer,
    request_through_link,
)
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
from broker.identities.link_codes import LinkThrottled, open_link, request_code, verify_code
from broker.identities.manage_tokens import issue_token, list_tokens, revoke_token
from broker.identities.mfa import (
    MfaEnrolment,
    begin_mfa_enrolment,
    confirm_mfa_enrolment,
    disable_mfa,
)
from broker.identities.mfa_pending import PendingSecondFactor
from broker.identities.mfa_policy import (
    MFA_ENROLMENT_REQUIRED,
    MfaPolicy,
    mfa_enrolment_required,
    mfa_policy,
    set_mfa_policy,
)
from broker.identities.mfa_sign_in import finish_mfa_sign_in
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
from broker.integrations._target_data import IntegrationCheck
from broker.integrations.check_integration import check_integration
from broker.integrations.delete_integration import delete_integration
from broker.integrations.read_integrations import (
    get_integration,
    list_integrations,
    public_settings,
)
from broker.integrations.save_integration import save_integration
from broker.integrations.sync_integration import DiscoveryReport, sync_integration
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
from broker.reads.audit_report import MAX_REPORT_DAYS, AuditReport, audit_report
from broker.reads.bundles import BundlePage, BundleView, list_bundles
from broker.reads.queries import active_grants, my_profile, my_requests, pending_approvals
from broker.reads.request_view import view_request
from broker.reads.requestables import (
    FlowOffer,
    Preview,
    Requestable,
    RequestablePage,
    preview_request,
    requestable,
)
from broker.reads.task_queries import my_tasks
from broker.requests.approve_request import approve_request
from broker.requests.cancel_request import cancel_request
from broker.requests.reject_request import reject_request
from broker.requests.request_access import request_access
from broker.requests.request_again import request_again
from broker.requests.request_bundle import request_bundle
from broker.requests.states import RequestState
from broker.services import Services
from broker.webhooks import delete_webhook, list_webhooks, save_webhook, stored_webhooks

__all__ = [
    "DEFAULT_TOKEN_EXPIRY_DAYS",
    "DEMO_PEOPLE",
    "MAX_REPORT_DAYS",
    "MFA_ENROLMENT_REQUIRED",
    "REFUSALS",
    "AccessDenied",
    "AuditEvent",
    "AuditFilter",
    "AuditReport",
    "BundlePage",
    "BundleView",
    "DirectoryGroup",
    "DirectoryUser",
    "DiscoveryReport",
    "DomainError",
    "ExpiryScheduler",
    "FlowOffer",
    "Forbidden",
    "GrantFailed",
    "IntegrationCheck",
    "IntegrationProvisioner",
    "InvalidInput",
    "InviteState",
    "IssuedLink",
    "LinkOffer",
    "LinkRefused",
    "LinkState",
    "LinkThrottled",
    "LinkViewer",
    "LogPage",
    "MfaEnrolment",
    "MfaPolicy",
    "NotFound",
    "NotifyConfig",
    "OidcConfig",
    "Outbound",
    "PendingLogin",
    "PendingSecondFactor",
    "Preview",
    "RequestState",
    "Requestable",
    "RequestablePage",
    "RevokeFailed",
    "Services",
    "SessionViewer",
    "SignInRefused",
    "SignInThrottled",
    "StartedLinkSession",
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
    "audit_report",
    "authenticate",
    "begin_login",
    "begin_mfa_enrolment",
    "cancel_request",
    "check_integration",
    "complete_task",
    "confirm_mfa_enrolment",
    "create_access_link",
    "csrf_matches",
    "csrf_token_for",
    "delete_bundle",
    "delete_forbid_rule",
    "delete_integration",
    "delete_user",
    "delete_webhook",
    "demo_is_seeded",
    "disable_access_link",
    "disable_mfa",
    "disable_user",
    "enable_user",
    "end_link_session",
    "end_session",
    "escalate_requests",
    "expire_due_grants",
    "export",
    "extend_grant",
    "finish_login",
    "finish_mfa_sign_in",
    "flow_reports",
    "get_integration",
    "grant_request",
    "graph_queries",
    "invite_user",
    "issue_api_token",
    "issue_token",
    "link_access_details",
    "link_offer",
    "link_requests",
    "link_state",
    "link_viewer",
    "list_access_links",
    "list_bundles",
    "list_integrations",
    "list_tokens",
    "list_users",
    "list_webhooks",
    "load_flows_into_engine",
    "look_up_invite",
    "mfa_enrolment_required",
    "mfa_policy",
    "my_profile",
    "my_requests",
    "my_tasks",
    "notify_expiring_soon",
    "offered_flow",
    "open_link",
    "pending_approvals",
    "preview_request",
    "public_settings",
    "read_events",
    "read_only_refusal",
    "recover_grants",
    "reject_request",
    "request_access",
    "request_again",
    "request_bundle",
    "request_code",
    "request_password_reset",
    "request_through_link",
    "requestable",
    "resend_invite",
    "reset_password",
    "revoke_grant",
    "revoke_grants",
    "revoke_invite",
    "revoke_token",
    "rotate_access_link",
    "save_access_flow",
    "save_bundle",
    "save_forbid_rule",
    "save_integration",
    "save_webhook",
    "scim",
    "secrets",
    "seed_demo",
    "session_limits",
    "session_viewer",
    "set_first_password",
    "set_mfa_policy",
    "set_user_role",
    "sign_in",
    "sign_in_with_sso",
    "start_scheduled",
    "start_session",
    "stored_webhooks",
    "sync_identities",
    "sync_integration",
    "time_out_requests",
    "update_user",
    "user_view",
    "verify_activity_log",
    "verify_chain",
    "verify_code",
    "view_request",
]
