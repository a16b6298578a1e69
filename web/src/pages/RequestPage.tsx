// /requests/<id>: the page every mail about a request links to, read with `request(id)`
// (its requester, beneficiary, approvers, admins and auditors may see it).
import { useParams } from "react-router";
import { request } from "../api/graphql";
import { ApiError } from "../api/errors";
import { OneRequest } from "../api/operations";
import { useUser } from "../session";
import { ErrorNote, Loading, timeLeft, useLoad, useNow, when } from "../ui";
import { CancelPending, DecideRequest, GrantActions } from "./actions";

export function RequestPage() {
  const { id = "" } = useParams();
  const user = useUser();
  const now = useNow();
  const { data, error, reload } = useLoad(async () => {
    try {
      const found = await request(OneRequest, { id });
      return { row: found.request, toDecide: found.pendingApprovals.some((r) => r.id === id) };
    } catch (failure) {
      // Someone else's request and a missing one get the same answer from the API.
      if (failure instanceof ApiError && ["forbidden", "not_found"].includes(failure.code)) {
        return { row: null, toDecide: false };
      }
      throw failure;
    }
  }, [id], 5000);

  if (error) return <main><h1>Request</h1><ErrorNote message={error} /></main>;
  if (data === undefined) return <main><Loading what="the request" /></main>;
  const { row, toDecide } = data;
  if (!row) {
    return (
      <main>
        <h1>Request not found</h1>
        <p role="alert">No request <code>{id}</code> is yours, for you, or yours to approve.</p>
      </main>
    );
  }
  const holder = row.beneficiary === user.email;
  return (
    <main>
      <h1>{row.resource}</h1>
      <p>State: <span className={`state state-${row.state}`}>{row.state}</span></p>
      <dl className="facts">
        <dt>Requested by</dt><dd>{row.requester}</dd>
        <dt>For</dt><dd>{row.beneficiary}</dd>
        <dt>Permissions</dt><dd>{row.permissions.join(", ")}</dd>
        <dt>Duration</dt><dd>{row.durationMinutes} min</dd>
        <dt>Flow</dt><dd>{row.flow}</dd>
        <dt>Justification</dt><dd>{row.justification || "—"}</dd>
        <dt>Asked</dt><dd>{when(row.createdAt)}</dd>
        {row.decidedBy && (<><dt>Decided by</dt><dd>{row.decidedBy}</dd></>)}
        {row.reason && (<><dt>Reason</dt><dd>{row.reason}</dd></>)}
        {row.expiresAt && (<><dt>Ends</dt><dd>{when(row.expiresAt)} ({timeLeft(row.expiresAt, now)})</dd></>)}
      </dl>
      {toDecide && <DecideRequest row={row} changed={reload} />}
      {!toDecide && row.state === "PENDING" && row.requester === user.email && <CancelPending row={row} changed={reload} />}
      {row.state === "GRANTED" && holder && <GrantActions row={row} changed={reload} />}
    </main>
  );
}
