// Every GraphQL operation the app sends. `npm run codegen` types each from schema.graphql:
// a field the API renames or drops fails the build here, not on a page.
import { graphql } from "../gql";

export const RequestFields = graphql(`
  fragment RequestFields on AccessRequest {
    id
    requester
    beneficiary
    resource
    flow
    state
    permissions
    durationMinutes
    justification
    createdAt
    decidedBy
    grantedAt
    expiresAt
    endedAt
    reason
    startsAt
    pendingUntil
    extensions
    revokedBy
    bundle
    accessLink
  }
`);

export const MyRequests = graphql(`
  query MyRequests($first: Int!) {
    myRequests(first: $first) {
      ...RequestFields
    }
  }
`);

export const MyAccess = graphql(`
  query MyAccess {
    activeGrants(first: 200) {
      ...RequestFields
    }
  }
`);

export const PendingApprovals = graphql(`
  query PendingApprovals {
    pendingApprovals(first: 200) {
      ...RequestFields
      approverMfa
    }
  }
`);

export const AccessDetails = graphql(`
  query AccessDetails($id: ID!) {
    accessDetails(id: $id) {
      name
      value
    }
  }
`);

export const RequestAccess = graphql(`
  mutation RequestAccess($request: RequestAccessInput!) {
    requestAccess(request: $request) {
      ...RequestFields
    }
  }
`);

export const RequestBundle = graphql(`
  mutation RequestBundle($request: RequestBundleInput!) {
    requestBundle(request: $request) {
      ...RequestFields
    }
  }
`);

export const CancelRequest = graphql(`
  mutation CancelRequest($id: ID!) {
    cancelRequest(id: $id) {
      ...RequestFields
    }
  }
`);

export const ApproveRequest = graphql(`
  mutation ApproveRequest($id: ID!, $reason: String!, $mfaCode: String) {
    approveRequest(id: $id, reason: $reason, mfaCode: $mfaCode) {
      ...RequestFields
    }
  }
`);

export const RejectRequest = graphql(`
  mutation RejectRequest($id: ID!, $reason: String!) {
    rejectRequest(id: $id, reason: $reason) {
      ...RequestFields
    }
  }
`);

export const ExtendGrant = graphql(`
  mutation ExtendGrant($id: ID!, $minutes: Int!) {
    extendGrant(id: $id, minutes: $minutes) {
      ...RequestFields
    }
  }
`);

export const GiveBack = graphql(`
  mutation GiveBack($id: ID!, $reason: String!) {
    revokeGrant(id: $id, reason: $reason) {
      ...RequestFields
    }
  }
`);

export const Requestable = graphql(`
  query Requestable($search: String!, $first: Int!, $after: String) {
    requestable(search: $search, first: $first, after: $after) {
      items {
        kind
        key
        name
        type
        tags
        flows {
          flow
          name
          permissions
          maxDurationMinutes
          defaultDurationMinutes
          justificationRequired
          approval
        }
      }
      endCursor
      hasNextPage
    }
  }
`);

export const PreviewRequest = graphql(`
  query PreviewRequest($request: RequestAccessInput!) {
    previewRequest(request: $request) {
      allowed
      explanation
      durationMinutes
      flow {
        flow
        name
        approval
      }
    }
  }
`);

export const OneRequest = graphql(`
  query OneRequest($id: ID!) {
    request(id: $id) {
      ...RequestFields
      approverMfa
    }
    pendingApprovals(first: 200) {
      id
    }
  }
`);

export const MyTasks = graphql(`
  query MyTasks($done: Boolean!) {
    myTasks(done: $done, first: 200) {
      id
      request
      integration
      action
      state
      assignees
      createdAt
      doneAt
      doneBy
      note
    }
  }
`);

export const CompleteTask = graphql(`
  mutation CompleteTask($id: ID!, $note: String!) {
    completeTask(id: $id, note: $note) {
      id
      state
    }
  }
`);
