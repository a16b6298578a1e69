"""The access graph's node and edge kinds, declared once.

Both backends (embedded and Neo4j) are driven from these declarations: they validate
writes against them and the Neo4j backend generates its constraints from them.
Timestamps are float seconds since the epoch (UTC) so both backends compare them natively.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# The property types a node or edge may carry. Lists hold strings only.
PropType = type[str] | type[int] | type[float] | type[bool] | type[list[str]]


@dataclass(frozen=True)
class NodeKind:
    """A node label; every node has a string `key`, unique within its kind."""

    label: str
    properties: Mapping[str, PropType] = field(default_factory=dict)
    required: frozenset[str] = frozenset()


@dataclass(frozen=True)
class EdgeKind:
    """A relationship type and the node kinds it may connect."""

    type: str
    sources: frozenset[str]
    targets: frozenset[str]
    properties: Mapping[str, PropType] = field(default_factory=dict)


def _node(label: str, required: tuple[str, ...] = (), **props: PropType) -> NodeKind:
    return NodeKind(label, MappingProxyType(props), frozenset(required))


def _edge(type_: str, sources: set[str], targets: set[str], **props: PropType) -> EdgeKind:
    return EdgeKind(type_, frozenset(sources), frozenset(targets), MappingProxyType(props))


# What a sync run (graph.sync) stamps on each node and edge it writes: the source system
# and the run, so the run's cleanup can remove what that source no longer has.
SYNC = {"sync_source": str, "sync_tag": str}

IDENTITIES = {"User", "ExternalUser"}
PRINCIPALS = IDENTITIES | {"Group"}

NODE_KINDS: Mapping[str, NodeKind] = MappingProxyType(
    {
        kind.label: kind
        for kind in (
            _node(
                "User",
                ("email",),
                email=str,
                name=str,
                role=str,
                disabled=bool,
                # single sign-on binds the account to the provider's `sub` at one `iss`
                oidc_subject=str,
                oidc_issuer=str,
                # people (broker.identities.users): absent on users from before invitations
                full_name=str,
                phone=str,  # E.164
                status=str,  # INVITED | ACTIVE (absent: ACTIVE); `disabled` makes it DISABLED
                source=str,  # invite | sso | scim | demo; absent: demo, or sync
                password_hash=str,  # argon2id (broker.identities.passwords)
                last_sign_in_at=float,
                created_at=float,
                # TOTP second factor (broker.identities.mfa): the secret sealed, never hashed
                # (it must be verified); enrolled once a first code confirmed it
                mfa_secret=str,
                mfa_enrolled_at=float,
                mfa_last_step=int,  # the last time step a code was accepted for: no replays
                # SCIM (broker.identities.scim): the attributes the client keeps, as JSON,
                # and the userName lower-cased (unique; looked up by IdPs before a create)
                scim=str,
                user_name=str,
                updated_at=float,
                **SYNC,
            ),
            _node(
                "Group",
                ("name",),
                name=str,
                source=str,
                scim=str,  # SCIM (broker.identities.scim): displayName, externalId, members
                created_at=float,
                updated_at=float,
                **SYNC,
            ),
            # Someone who asked through an access link (broker.identities.external_requesters),
            # keyed by their email; never a User, whatever the address.
            _node(
                "ExternalUser",
                ("email",),
                email=str,
                name=str,
                link=str,  # the AccessLink they last proved their email through
                verified_at=float,
                created_at=float,
                disabled=bool,  # checked by the grant path as for users
            ),
            _node(
                "Integration",
                ("name", "type"),
                name=str,
                type=str,  # postgresql, manual, webhook, ...
                tags=list,
                config=str,  # sealed JSON (broker.grants.secrets): URLs, fulfillers, credentials
                # discovery (broker.integrations.sync_integration): its last run and outcome
                last_sync_at=float,
                sync_status=str,  # ok | failed
                sync_error=str,  # the target's message, secrets blanked; "" when ok
                **SYNC,
            ),
            # A notification webhook admins keep (broker.webhooks): the URL and
            # signing secret sealed (a chat webhook's path is often a secret); `target` is its
            # scheme and host, what may be shown; `events` the notice kinds it wants.
            _node(
                "Webhook",
                ("name", "url", "secret", "events", "enabled"),
                name=str,
                url=str,
                target=str,
                secret=str,
                events=list,
                enabled=bool,
                created_at=float,
                updated_at=float,
            ),
            _node("Resource", ("name",), name=str, type=str, tags=list, **SYNC),
            _node(
                "AccessFlow",
                ("name", "definition"),
                name=str,
                definition=str,  # the flow as JSON; policies.flows reads it
                enabled=bool,
                updated_at=float,
            ),
            _node("Bundle", ("name",), name=str, description=str, updated_at=float),
            # An admin-wide rule that beats any flow, e.g. nothing tagged pci after hours.
            _node(
                "ForbidRule",
                ("name", "definition"),
                name=str,
                definition=str,  # the rule as JSON; policies.forbid reads it
                enabled=bool,
                updated_at=float,
            ),
            # Work for a person: a manual integration's fulfiller grants or revokes by hand.
            _node(
                "Task",
                ("request", "action", "state", "created_at"),
                request=str,
                integration=str,
                action=str,  # grant | revoke
                state=str,  # open | done
                assignees=list,  # user keys who may mark it done
                created_at=float,
                done_at=float,
                done_by=str,
                note=str,
            ),
            _node(
                "AccessRequest",
                ("requester", "resource", "state", "created_at"),
                requester=str,  # who asked
                beneficiary=str,  # who gets the access (the requester unless on behalf)
                beneficiary_kind=str,  # User or ExternalUser: saves a read per revoke
                target_kind=str,  # Resource, or Integration for a whole integration
                integration=str,  # the target's integration: which provisioner grants it
                resource=str,
                flow=str,
                state=str,
                bundle=str,  # the bundle this request is one item of, if any
                batch=str,  # shared by the requests of one bundle request
                previous=str,  # the finished request this one asks again
                starts_at=float,  # a later start asked for; absent: at once
                permissions=list,
                duration_minutes=int,
                justification=str,
                created_at=float,
                decided_at=float,
                decided_by=str,
                granted_at=float,
                expires_at=float,
                ended_at=float,
                reason=str,
                version=int,
                # the approval plan's progress (broker.approval)
                approval_step=int,
                step_started_at=float,
                escalated=bool,
                pending_until=float,  # a pending request times out then
                # after the grant
                extensions=int,
                revoked_by=str,
                details=str,  # sealed access details from the integration (broker.grants.secrets)
                # a revoke that keeps failing: how often, when to try next, and the flag
                revoke_failures=int,
                revoke_retry_at=float,
                revoke_error=str,
                revoke_flagged=bool,
                expiry_warned_for=float,  # the expires_at the grantee was warned about
                access_link=str,  # the AccessLink an external requester asked through
            ),
            _node(
                "Grant",
                ("request", "identity", "resource", "granted_at", "expires_at"),
                request=str,
                identity=str,
                resource=str,
                permissions=list,
                granted_at=float,
                expires_at=float,
                extensions=int,
            ),
            _node(
                "ApiToken",
                ("token_hash", "owner", "created_at"),
                token_hash=str,
                owner=str,
                name=str,
                created_at=float,
                revoked=bool,
                # absent on tokens issued before scopes and expiry: full, never expiring
                scope=str,
                expires_at=float,
                last_used_at=float,
            ),
            # An access link for external requesters (broker.identities.access_links); its
            # token is kept only as `token_hash` (SHA-256), replaced when the link is rotated.
            _node(
                "AccessLink",
                ("flow", "token_hash"),
                flow=str,
                token_hash=str,
                expires_at=float,
                max_uses=int,  # requests the link may carry; absent: no limit
                uses=int,
                allowed_domains=list,  # email domains that may use it; empty: any
                disabled=bool,
                created_at=float,
                created_by=str,
                rotated_at=float,
            ),
            # A one-time code mailed to prove an email on a link (broker.identities.link_codes),
            # keyed by the SHA-256 of the link and the email; the code itself only hashed.
            _node(
                "LinkCode",
                ("link", "code_hash", "expires_at"),
                link=str,
                code_hash=str,
                expires_at=float,
                tries=int,
                name=str,  # the name the requester gave, kept for their ExternalUser
                created_at=float,
            ),
            # An external requester's session, bound to one link and one email, keyed by the
            # SHA-256 of its id (the cookie value).
            _node(
                "LinkSession",
                ("link", "external", "created_at", "expires_at"),
                link=str,
                external=str,
                created_at=float,
                expires_at=float,
                client=str,
            ),
            # An invitation (broker.identities.invitations), keyed by the SHA-256 of its token.
            _node(
                "Invite",
                ("user", "created_at", "expires_at"),
                user=str,  # the invited user's key
                invited_by=str,
                created_at=float,
                expires_at=float,
                used_at=float,  # absent until accepted; single use
            ),
            # A browser session (broker.identities.sessions), keyed by the SHA-256 of its id.
            _node(
                "Session",
                ("user", "created_at", "last_seen_at", "csrf_hash", "method"),
                user=str,
                created_at=float,
                last_seen_at=float,
                csrf_hash=str,
                method=str,  # password | sso
                client=str,  # the address it was started from
            ),
            # A password reset link (broker.identities.password_reset), keyed by its token's
            # SHA-256.
            _node(
                "PasswordReset",
                ("user", "created_at", "expires_at"),
                user=str,
                created_at=float,
                expires_at=float,
                used_at=float,  # absent until used; single use
            ),
            # A single-use MFA recovery code (broker.identities.mfa), keyed by the SHA-256 of
            # its user and the code.
            _node(
                "MfaRecoveryCode", ("user", "created_at"), user=str, created_at=float, used_at=float
            ),
            # A sign-in waiting for its second factor (broker.identities.mfa_sign_in), keyed by
            # the SHA-256 of its token; single use, for five minutes.
            _node(
                "MfaChallenge",
                ("user", "created_at", "expires_at"),
                user=str,
                created_at=float,
                expires_at=float,
                used_at=float,
                client=str,
            ),
            # Install-wide settings admins change (one node, key "keyturn").
            _node("Settings", (), mfa_required_for_admins=bool, updated_at=float, updated_by=str),
            # When the periodic audit report was last mailed (broker.jobs.mail_audit_report),
            # one node keyed "auditors": the end of the period it covered.
            _node("AuditReportMail", ("sent_until",), sent_until=float),
            # Failed sign-ins counted per account or client address (broker.identities.sign_in).
            _node(
                "SignInThrottle",
                ("failures", "window_start"),
                failures=int,
                window_start=float,
            ),
            # The activity log: one node per event, keyed by its zero-padded sequence number,
            # hash-chained to the one before; the single AuditHead ("head") holds the last.
            _node(
                "AuditEvent",
                ("seq", "page", "at", "kind", "prev", "hash"),
                seq=int,
                page=int,  # seq // a fixed page size, so readers fetch the log page by page
                at=float,
                kind=str,
                actor=str,
                resource=str,
                subject=str,
                data=str,  # canonical JSON
                prev=str,
                hash=str,
            ),
            _node("AuditHead", (), seq=int, hash=str),
        )
    }
)

SYNCED_KINDS = frozenset(
    {"User", "Group", "Resource", "Integration", "MEMBER_OF", "REPORTS_TO", "PART_OF", "HAS_ACCESS"}
)
"""The node and edge kinds a sync run may write and clean up."""

EDGE_KINDS: Mapping[str, EdgeKind] = MappingProxyType(
    {
        kind.type: kind
        for kind in (
            _edge("MEMBER_OF", PRINCIPALS, {"Group"}, source=str, **SYNC),
            _edge("REPORTS_TO", {"User"}, {"User"}, **SYNC),
            _edge("PART_OF", {"Resource"}, {"Resource", "Integration"}, **SYNC),
            _edge(
                "HAS_ACCESS",
                PRINCIPALS,
                {"Resource", "Integration"},
                grant=str,
                permissions=list,
                expires_at=float,
                standing=bool,
                last_used_at=float,  # absent: never used (as far as Keyturn knows)
                **SYNC,
            ),
            _edge("REQUESTED", IDENTITIES, {"AccessRequest"}),
            _edge("FOR", {"AccessRequest", "Grant"}, {"Resource", "Integration"}),
            _edge("APPROVED", {"User"}, {"AccessRequest"}, at=float, reason=str, step=int),
            _edge("MATCHED", {"AccessRequest"}, {"AccessFlow"}),
            _edge("ALLOWS", {"AccessFlow"}, PRINCIPALS),
            _edge("COVERS", {"AccessFlow", "Bundle"}, {"Resource", "Integration", "Bundle"}),
            # to a flow: who it names; to a pending request: who may review its step now
            _edge("APPROVER", {"User", "Group"}, {"AccessFlow", "AccessRequest"}),
            _edge("OWNS", {"User"}, {"ApiToken"}),
            _edge("SIGNED_IN", {"User"}, {"Session"}),
        )
    }
)
