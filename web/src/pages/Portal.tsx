// The portal's lists: my requests (live), my access (with time left), the approvals inbox.
import { request } from "../api/graphql";
import { MyAccess as MyAccessDoc, MyRequests as MyRequestsDoc, PendingApprovals } from "../api/operations";
import { Empty, ErrorNote, Loading, timeLeft, useLoad, useNow, when } from "../ui";
import { CancelPending, DecideRequest, GrantActions } from "./actions";
import { RequestTable } from "./RequestList";

const LIVE_MS = 5000; // states change on other people's clicks and on the clock

export function MyRequests() {
  const { data, error, reload } = useLoad(async () => (await request(MyRequestsDoc, { first: 200 })).myRequests, [], LIVE_MS);
  return (
    <main>
      <h1>My requests</h1>
      <ErrorNote message={error} />
      {data === undefined ? (
        !error && <Loading what="your requests" />
      ) : data.length === 0 ? (
        <Empty>You have not requested anything yet.</Empty>
      ) : (
        <RequestTable caption="Your requests, newest first" rows={data}
          extra={{ heading: "Action", cell: (row) => (row.state === "PENDING" ? <CancelPending row={row} changed={reload} /> : null) }} />
      )}
    </main>
  );
}

export function MyAccess() {
  const now = useNow();
  const { data, error, reload } = useLoad(async () => (await request(MyAccessDoc)).activeGrants, [], LIVE_MS);
  return (
    <main>
      <h1>My access</h1>
      <ErrorNote message={error} />
      {data === undefined ? (
        !error && <Loading what="your access" />
      ) : data.length === 0 ? (
        <Empty>You hold no access right now.</Empty>
      ) : (
        <ul className="cards">
          {data.map((grant) => (
            <li key={grant.id} className="card">
              <h2>{grant.resource}</h2>
              <p>
                {grant.permissions.join(", ")} · <strong>{timeLeft(grant.expiresAt, now)}</strong> (until {when(grant.expiresAt)})
              </p>
              <GrantActions row={grant} changed={reload} />
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}

export function Approvals() {
  const { data, error, reload } = useLoad(async () => (await request(PendingApprovals)).pendingApprovals, [], LIVE_MS);
  return (
    <main>
      <h1>Approvals</h1>
      <ErrorNote message={error} />
      {data === undefined ? (
        !error && <Loading what="requests waiting for you" />
      ) : data.length === 0 ? (
        <Empty>Nothing is waiting for your approval.</Empty>
      ) : (
        <ul className="cards">
          {data.map((row) => (
            <li key={row.id} className="card">
              <h2>{row.resource}</h2>
              <p>
                {row.requester}
                {row.accessLink && " (external, through an access link)"}
                {row.beneficiary !== row.requester && ` for ${row.beneficiary}`} asks for{" "}
                {row.permissions.join(", ")} during {row.durationMinutes} min (flow {row.flow})
              </p>
              <blockquote>{row.justification || "no justification given"}</blockquote>
              <DecideRequest row={row} changed={reload} />
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}
