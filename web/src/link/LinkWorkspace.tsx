// Signed in through an access link: ask for what the link offers, and follow what was asked
// (state live, access details revealed on click). Every refusal shows the API's words.
import { useCallback, useEffect, useState, type FormEvent } from "react";
import { messageOf } from "../api/errors";
import * as link from "../api/link";
import { Empty, ErrorNote, Loading, useAction } from "../ui";
import { Offer } from "./AccessLink";

const LIVE_MS = 5000; // an approver decides elsewhere: the state changes on its own

function at(seconds: number | null): string {
  return seconds ? new Date(seconds * 1000).toLocaleString() : "—";
}

export function LinkWorkspace({ session, left }: { session: link.LinkSession; left: () => void }) {
  const [rows, setRows] = useState<link.LinkRequest[] | undefined>(undefined);
  const [loadError, setLoadError] = useState<string | null>(null);
  const leave = useAction();

  const reload = useCallback(() => {
    link.myLinkRequests().then(
      (found) => {
        setRows(found);
        setLoadError(null);
      },
      (failure: unknown) => setLoadError(messageOf(failure)),
    );
  }, []);
  useEffect(() => {
    reload();
    const timer = window.setInterval(reload, LIVE_MS);
    return () => window.clearInterval(timer);
  }, [reload]);

  return (
    <main>
      <Offer offer={session.offer} />
      <p>
        Signed in as <strong>{session.external.name || session.external.email}</strong> ({session.external.email}){" "}
        <button type="button" className="secondary" disabled={leave.busy}
          onClick={() => leave.run(async () => { await link.leaveLink(); left(); })}>
          Sign out
        </button>
      </p>
      <ErrorNote message={leave.error} />
      <AskForm offer={session.offer} asked={reload} />
      <h2>Your requests through this link</h2>
      <ErrorNote message={loadError} />
      {rows === undefined ? (
        !loadError && <Loading what="your requests" />
      ) : rows.length === 0 ? (
        <Empty>You have not asked for anything through this link yet.</Empty>
      ) : (
        <ul className="cards" aria-label="Your requests">
          {rows.map((row) => <RequestCard key={row.id} row={row} />)}
        </ul>
      )}
    </main>
  );
}

function AskForm({ offer, asked }: { offer: link.LinkOffer; asked: () => void }) {
  const [resource, setResource] = useState(offer.resources[0]?.key ?? "");
  const [permissions, setPermissions] = useState<string[]>(offer.permissions.slice(0, 1));
  const [minutes, setMinutes] = useState(String(offer.defaultDurationMinutes ?? Math.min(60, offer.maxDurationMinutes)));
  const [justification, setJustification] = useState("");
  const [done, setDone] = useState<string | null>(null);
  const { busy, error, run } = useAction();

  function toggle(permission: string, on: boolean) {
    setPermissions((now) => (on ? [...now, permission] : now.filter((p) => p !== permission)));
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setDone(null);
    const ok = await run(async () => {
      const made = await link.askThroughLink({ resource, permissions, durationMinutes: Number(minutes), justification });
      setDone(`requested ${made.resource}: ${made.state}`);
    });
    if (ok) {
      setJustification("");
      asked();
    }
  }

  return (
    <form onSubmit={submit} aria-label="Request access">
      <h2>Ask for access</h2>
      <label>
        Resource
        <select value={resource} onChange={(e) => setResource(e.target.value)} required>
          {offer.resources.map((r) => <option key={r.key} value={r.key}>{r.key}</option>)}
        </select>
      </label>
      <fieldset>
        <legend>Permissions</legend>
        {offer.permissions.map((p) => (
          <label key={p} className="inline">
            <input type="checkbox" checked={permissions.includes(p)} onChange={(e) => toggle(p, e.target.checked)} /> {p}
          </label>
        ))}
      </fieldset>
      <label>
        Duration in minutes (at most {offer.maxDurationMinutes})
        <input type="number" min={1} max={offer.maxDurationMinutes} required value={minutes}
          onChange={(e) => setMinutes(e.target.value)} />
      </label>
      <label>
        Justification{offer.justificationRequired ? " (required)" : ""}
        <textarea maxLength={2000} value={justification} onChange={(e) => setJustification(e.target.value)} />
      </label>
      <ErrorNote message={error} />
      {done && <p role="status">{done}</p>}
      <button type="submit" disabled={busy}>{busy ? "Requesting…" : "Request"}</button>
    </form>
  );
}

function RequestCard({ row }: { row: link.LinkRequest }) {
  const [details, setDetails] = useState<Record<string, string> | null>(null);
  const reveal = useAction();
  const entries = details ? Object.entries(details) : [];
  return (
    <li className="card" aria-label={`Request for ${row.resource}`}>
      <h3>{row.resource}</h3>
      <p>
        <span className={`state state-${row.state}`}>{row.state}</span> · {row.permissions.join(", ")} ·{" "}
        {row.durationMinutes ?? "?"} min · asked {at(row.createdAt)}
        {row.expiresAt && ` · until ${at(row.expiresAt)}`}
      </p>
      {row.reason && <p>Reason: {row.reason}</p>}
      {row.state === "GRANTED" &&
        (details ? (
          entries.length === 0 ? (
            <p aria-label={`Access details for ${row.resource}`}>This access needs no details to use.</p>
          ) : (
            <dl className="facts" aria-label={`Access details for ${row.resource}`}>
              {entries.map(([name, value]) => (
                <div key={name} style={{ display: "contents" }}>
                  <dt>{name}</dt>
                  <dd><code>{value}</code></dd>
                </div>
              ))}
            </dl>
          )
        ) : (
          <button type="button" className="secondary" disabled={reveal.busy}
            onClick={() => reveal.run(async () => setDetails(await link.linkAccessDetails(row.id)))}>
            Reveal access details
          </button>
        ))}
      <ErrorNote message={reveal.error} />
    </li>
  );
}
