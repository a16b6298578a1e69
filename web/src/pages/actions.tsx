// The things one can do to one request, used by the list pages and by /requests/<id>.
import { useState, type FormEvent } from "react";
import { request } from "../api/graphql";
import {
  AccessDetails,
  ApproveRequest,
  CancelRequest,
  ExtendGrant,
  GiveBack,
  RejectRequest,
} from "../api/operations";
import type { AccessDetailsQuery, RequestFieldsFragment } from "../gql/graphql";
import { ErrorNote, useAction } from "../ui";

type Changed = (updated: RequestFieldsFragment) => void;

/** Approve or reject, with a reason; one decision at a time. A flow with `approverMfa`
 * asks for a fresh authenticator code with the approval. */
export function DecideRequest({ row, changed }: { row: RequestFieldsFragment & { approverMfa?: boolean }; changed: Changed }) {
  const [reason, setReason] = useState("");
  const [code, setCode] = useState("");
  const { busy, error, run } = useAction();
  const label = `reason for ${row.requester}'s request of ${row.resource}`;

  async function decide(approve: boolean) {
    await run(async () => {
      const mfaCode = row.approverMfa ? code.trim() : null;
      const answer = approve
        ? (await request(ApproveRequest, { id: row.id, reason, mfaCode })).approveRequest
        : (await request(RejectRequest, { id: row.id, reason })).rejectRequest;
      changed(answer);
    });
  }

  return (
    <div className="decision" role="group" aria-label={`Decide ${row.resource} for ${row.beneficiary}`}>
      <label>
        Reason
        <input aria-label={label} maxLength={2000} value={reason} onChange={(e) => setReason(e.target.value)} />
      </label>
      {row.approverMfa && (
        <label>
          Authenticator code (this flow asks for one to approve)
          <input name="mfa-code" autoComplete="one-time-code" inputMode="numeric" value={code}
            onChange={(e) => setCode(e.target.value)} />
        </label>
      )}
      <button type="button" disabled={busy} onClick={() => decide(true)}>Approve</button>
      <button type="button" className="danger" disabled={busy} onClick={() => decide(false)}>Reject</button>
      <ErrorNote message={error} />
    </div>
  );
}

export function CancelPending({ row, changed }: { row: RequestFieldsFragment; changed: Changed }) {
  const { busy, error, run } = useAction();
  return (
    <div>
      <button type="button" className="secondary" disabled={busy}
        onClick={() => run(async () => changed((await request(CancelRequest, { id: row.id })).cancelRequest))}>
        Cancel request
      </button>
      <ErrorNote message={error} />
    </div>
  );
}

/** Reveal how to use the access (fetched only on click), extend it, or give it back. */
export function GrantActions({ row, changed }: { row: RequestFieldsFragment; changed: Changed }) {
  const [details, setDetails] = useState<AccessDetailsQuery["accessDetails"] | null>(null);
  const [minutes, setMinutes] = useState("30");
  const reveal = useAction();
  const extend = useAction();
  const giveBack = useAction();

  async function submitExtend(event: FormEvent) {
    event.preventDefault();
    await extend.run(async () =>
      changed((await request(ExtendGrant, { id: row.id, minutes: Number(minutes) })).extendGrant),
    );
  }

  return (
    <div className="grant-actions">
      {details && details.length === 0 ? (
        <p aria-label={`Access details for ${row.resource}`}>This access needs no details to use.</p>
      ) : details ? (
        <dl aria-label={`Access details for ${row.resource}`}>
          {details.map((d) => (
            <div key={d.name}>
              <dt>{d.name}</dt>
              <dd><code>{d.value}</code></dd>
            </div>
          ))}
        </dl>
      ) : (
        <button type="button" className="secondary" disabled={reveal.busy}
          onClick={() => reveal.run(async () => setDetails((await request(AccessDetails, { id: row.id })).accessDetails))}>
          Reveal access details
        </button>
      )}
      <ErrorNote message={reveal.error} />
      <form onSubmit={submitExtend} className="inline-form" aria-label={`Extend ${row.resource}`}>
        <label>
          Extend by minutes
          <input type="number" min={1} required value={minutes} onChange={(e) => setMinutes(e.target.value)} />
        </label>
        <button type="submit" className="secondary" disabled={extend.busy}>Extend</button>
      </form>
      <ErrorNote message={extend.error} />
      <button type="button" className="danger" disabled={giveBack.busy}
        onClick={() => giveBack.run(async () => changed((await request(GiveBack, { id: row.id, reason: "given back" })).revokeGrant))}>
        Give back
      </button>
      <ErrorNote message={giveBack.error} />
    </div>
  );
}
