// The console's and the audit views' GraphQL operations (admins; auditors read). Typed by
// codegen from schema.graphql like the portal's, so a renamed field breaks the build.
import { graphql } from "../gql";

export const Users = graphql(`
  query Users($first: Int!, $after: String, $search: String!, $role: String, $status: String, $source: String) {
    users(first: $first, after: $after, search: $search, role: $role, status: $status, source: $source) {
      users {
        email
        fullName
        role
        status
        source
        groups
        manager
        lastSignInAt
      }
      endCursor
      hasNextPage
    }
  }
`);

export const InviteUser = graphql(`
  mutation InviteUser($input: InviteUserInput!) {
    inviteUser(input: $input) {
      email
      status
    }
  }
`);

export const SetUserRole = graphql(`
  mutation SetUserRole($user: String!, $role: String!) {
    setUserRole(user: $user, role: $role) {
      key
      role
    }
  }
`);

export const DisableUser = graphql(`
  mutation DisableUser($user: String!, $reason: String!) {
    disableUser(user: $user, reason: $reason)
  }
`);

export const EnableUser = graphql(`
  mutation EnableUser($email: String!) {
    enableUser(email: $email) {
      email
      status
    }
  }
`);

export const DeleteUser = graphql(`
  mutation DeleteUser($email: String!) {
    deleteUser(email: $email)
  }
`);

export const FlowFields = graphql(`
  fragment FlowFields on AccessFlow {
    key
    name
    requestorUsers
    requestorGroups
    everyone
    external
    integrations
    resources
    resourceTypes
    bundles
    tags
    excludeResources
    excludeTags
    permissions
    maxDurationMinutes
    defaultDurationMinutes
    maxExtensions
    justificationRequired
    forSelf
    onBehalfUsers
    onBehalfReports
    approvers
    approverGroups
    approverManager
    approvalMode
    approverReasonRequired
    approverMfa
    approvalSteps {
      approvers
      approverGroups
      manager
      mode
    }
    escalationMinutes
    escalationUsers
    escalationGroups
    pendingTimeoutMinutes
    maxLeadDays
    trigger
    enabled
    windowDays
    windowStart
    windowEnd
    timeZone
    autoApprove
  }
`);

export const Flows = graphql(`
  query Flows {
    accessFlows(first: 100) {
      ...FlowFields
    }
    flowFindings {
      flow
      kind
      message
      by
    }
  }
`);

export const CompiledFlow = graphql(`
  query CompiledFlow($key: String!) {
    compiledFlow(key: $key)
  }
`);

export const SaveFlow = graphql(`
  mutation SaveFlow($flow: AccessFlowInput!) {
    createAccessFlow(flow: $flow) {
      ...FlowFields
    }
  }
`);

export const ForbidRules = graphql(`
  query ForbidRules {
    forbidRules(first: 500) {
      key
      name
      enabled
      tags
      integrations
      resources
      bundles
      windowDays
      windowStart
      windowEnd
      timeZone
    }
  }
`);

export const SaveForbidRule = graphql(`
  mutation SaveForbidRule($rule: ForbidRuleInput!) {
    saveForbidRule(rule: $rule) {
      key
    }
  }
`);

export const DeleteForbidRule = graphql(`
  mutation DeleteForbidRule($key: String!) {
    deleteForbidRule(key: $key)
  }
`);

export const SaveBundle = graphql(`
  mutation SaveBundle($bundle: BundleInput!) {
    saveBundle(bundle: $bundle) {
      key
      name
      items {
        kind
        key
      }
    }
  }
`);

export const DeleteBundle = graphql(`
  mutation DeleteBundle($key: String!) {
    deleteBundle(key: $key)
  }
`);

export const Tokens = graphql(`
  query Tokens($owner: String) {
    apiTokens(owner: $owner, first: 500) {
      key
      owner
      name
      createdAt
      revoked
      scope
      expiresAt
      lastUsedAt
    }
  }
`);

export const IssueToken = graphql(`
  mutation IssueToken($name: String!, $owner: String, $scope: TokenScope!, $days: Int!) {
    issueToken(name: $name, owner: $owner, scope: $scope, expiresInDays: $days) {
      token
      apiToken {
        key
      }
    }
  }
`);

export const RevokeToken = graphql(`
  mutation RevokeToken($key: String!) {
    revokeToken(key: $key) {
      key
      revoked
    }
  }
`);

export const ActivityLog = graphql(`
  query ActivityLog($filter: ActivityFilter, $first: Int!, $after: String) {
    activityLog(filter: $filter, first: $first, after: $after) {
      events {
        seq
        at
        kind
        actor
        resource
        subject
        data
      }
      endCursor
      hasNextPage
    }
  }
`);

export const AuditVerify = graphql(`
  query AuditVerify {
    auditVerify {
      ok
      checked
      problem
      seq
    }
  }
`);

export const Dashboard = graphql(`
  query Dashboard($from: DateTime!) {
    activeGrants(everyone: true, first: 500) {
      id
      resource
      beneficiary
      expiresAt
    }
    activityLog(filter: { from: $from }, first: 500) {
      events {
        at
        kind
        resource
        subject
      }
      hasNextPage
    }
  }
`);

// One access row as the explorer draws it: who, what, through which grant and path.
export const AccessFields = graphql(`
  fragment AccessFields on Access {
    identity {
      kind
      key
    }
    resource {
      kind
      key
    }
    grant
    standing
    expiresAt
    permissions
    path {
      nodes {
        kind
        key
      }
      edges
    }
  }
`);

export const WhoCanAccess = graphql(`
  query WhoCanAccess($resource: String!, $kind: ResourceKind!, $first: Int!, $offset: Int!) {
    whoCanAccess(resource: $resource, kind: $kind, first: $first, offset: $offset) {
      ...AccessFields
    }
  }
`);

export const EffectiveAccess = graphql(`
  query EffectiveAccess($identity: String!, $first: Int!, $offset: Int!) {
    effectiveAccess(identity: $identity, first: $first, offset: $offset) {
      ...AccessFields
    }
  }
`);

export const AccessPaths = graphql(`
  query AccessPaths($identity: String!, $resource: String!, $first: Int!, $offset: Int!) {
    accessPaths(identity: $identity, resource: $resource, first: $first, offset: $offset) {
      nodes {
        kind
        key
      }
      edges
    }
  }
`);

export const BrowseNode = graphql(`
  query BrowseNode($kind: String!, $key: String!) {
    graphNode(kind: $kind, key: $key) {
      kind
      key
      props
      memberOf: neighbours(edge: "MEMBER_OF", first: 50) {
        kind
        key
      }
      members: neighbours(edge: "MEMBER_OF", direction: IN, first: 50) {
        kind
        key
      }
      reportsTo: neighbours(edge: "REPORTS_TO", first: 5) {
        kind
        key
      }
      hasAccess: neighbours(edge: "HAS_ACCESS", first: 50) {
        kind
        key
      }
      accessedBy: neighbours(edge: "HAS_ACCESS", direction: IN, first: 50) {
        kind
        key
      }
      partOf: neighbours(edge: "PART_OF", first: 5) {
        kind
        key
      }
      parts: neighbours(edge: "PART_OF", direction: IN, first: 50) {
        kind
        key
      }
    }
  }
`);

export const IntegrationFields = graphql(`
  fragment IntegrationFields on Integration {
    key
    name
    type
    tags
    settings
    lastSyncAt
    syncStatus
    syncError
  }
`);

export const Integrations = graphql(`
  query Integrations {
    integrations(first: 500) {
      ...IntegrationFields
    }
  }
`);

export const SaveIntegration = graphql(`
  mutation SaveIntegration($integration: IntegrationInput!) {
    saveIntegration(integration: $integration) {
      ...IntegrationFields
    }
  }
`);

export const TestIntegration = graphql(`
  mutation TestIntegration($key: String!) {
    testIntegration(key: $key) {
      ok
      message
      server
      canCreateLogins
      canEndSessions
      missingRoles
    }
  }
`);

export const SyncIntegration = graphql(`
  mutation SyncIntegration($key: String!) {
    syncIntegration(key: $key) {
      integration
      databases
      schemas
      standing
      unmatchedLogins
      driftRemoved
      removed
    }
  }
`);

export const DeleteIntegration = graphql(`
  mutation DeleteIntegration($key: String!, $force: Boolean!) {
    deleteIntegration(key: $key, force: $force)
  }
`);

export const IntegrationResources = graphql(`
  query IntegrationResources($key: String!) {
    graphNode(kind: "Integration", key: $key) {
      parts: neighbours(edge: "PART_OF", direction: IN, first: 500) {
        kind
        key
      }
    }
  }
`);

export const WhoCouldRequest = graphql(`
  query WhoCouldRequest($resource: String!) {
    whoCouldRequest(resource: $resource, first: 200) {
      identity {
        kind
        key
      }
      flow
      groups
      everyone
    }
  }
`);

export const BlastRadiusOf = graphql(`
  query BlastRadiusOf($identity: String!) {
    blastRadius(identity: $identity) {
      resources
      perIntegration {
        key
        count
      }
      perTag {
        key
        count
      }
    }
  }
`);

export const SavedQueries = graphql(`
  query SavedQueries {
    savedQueries(first: 100) {
      name
      description
      parameters {
        name
        default
      }
    }
  }
`);

export const RunSavedQuery = graphql(`
  query RunSavedQuery($name: String!, $params: JSON) {
    runSavedQuery(name: $name, params: $params, first: 200) {
      subject {
        kind
        key
      }
      target {
        kind
        key
      }
      detail
    }
  }
`);

export const RawQuery = graphql(`
  query RawQuery($cypher: String!) {
    rawQuery(cypher: $cypher, rowCap: 500) {
      columns
      rows
      truncated
    }
  }
`);

export const Webhooks = graphql(`
  query Webhooks {
    webhooks {
      key
      name
      target
      events
      enabled
      createdAt
    }
  }
`);

export const SaveWebhook = graphql(`
  mutation SaveWebhook($key: String, $name: String!, $url: String, $events: [String!]!, $enabled: Boolean!) {
    saveWebhook(key: $key, name: $name, url: $url, events: $events, enabled: $enabled) {
      secret
      webhook {
        key
      }
    }
  }
`);

export const DeleteWebhook = graphql(`
  mutation DeleteWebhook($key: String!) {
    deleteWebhook(key: $key)
  }
`);
