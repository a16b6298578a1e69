// Integrations (admins): their type, discovery status, last sync and error; create and
// edit, test the connection, sync now, delete (with `force` when grants are active), and
// the resources one holds in the access graph.
import { useState } from "react";
import { ApiError } from "../api/errors";
import { request } from "../api/graphql";
import { DeleteIntegration, IntegrationResources, Integrations, SyncIntegration, TestIntegration } from "../api/console";
import type { IntegrationFieldsFragment, SyncIntegrationMutation, TestIntegrationMutation } from "../gql/graphql";
import { Empty, ErrorNote, Loading, useAction, useLoad, when } from "../ui";
import { IntegrationEditor } from "./IntegrationEditor";

type Outcome =
  | { kind: "test"; key: string; report: TestIntegrationMutation["testIntegration"] }
  | { kind: "sync"; key: string; report: SyncIntegrationMutation["syncIntegration"] }
  | { kind: "deleted"; key: string; revoked: string[] }
  | { kind: "resources"; key: string; resources: string[] };

export function IntegrationsPage() {
  const { data, error, reload } = useLoad(async () => (await request(Integrations)).integrations, []);
  const [editing, setEditing] = useState<IntegrationFieldsFragment | "new" | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [needsForce, setNeedsForce] = useState<string | null>(null);
  const action = useAction();

  function act(work: () => Promise<Outcome>) {
    setOutcome(null);
    // A failed test or sync changes the status shown too: reload either way.
    void action.run(async () => setOutcome(await work())).then(reload);
  }

  function remove(key: string, force: boolean) {
    setOutcome(null);
    setNeedsForce(null);
    void action
      .run(async () => {
        try {
          const revoked = (await request(DeleteIntegration, { key, force })).deleteIntegration;
          setOutcome({ kind: "deleted", key, revoked });
        } catch (failure) {
          // Grants through it are active: the API says so; offer to revoke them with it.
          if (failure instanceof ApiError && failure.code === "conflict" && !force) setNeedsForce(key);
          throw failure;
        }
      })
      .then((ok) => ok && reload());
  }

  return (
    <main className="wide">
      <h1>Integrations</h1>
      {editing ? (
        <IntegrationEditor key={editing === "new" ? "new" : editing.key} editing={editing === "new" ? null : editing}
          done={(saved) => { setEditing(null); if (saved) reload(); }} />
      ) : (
        <p><button type="button" onClick={() => setEditing("new")}>New integration</button></p>
      )}
      <ErrorNote message={error ?? action.error} />
      {needsForce && (
        <p className="warnings">
          <button type="button" className="danger" disabled={action.busy} onClick={() => remove(needsForce, true)}>
            Revoke its grants and delete {needsForce}
          </button>
        </p>
      )}
      {outcome && <OutcomeNote outcome={outcome} />}
      {data === undefined ? (
        !error && <Loading what="integrations" />
      ) : data.length === 0 ? (
        <Empty>No integration yet.</Empty>
      ) : (
        <table>
          <caption>Integrations</caption>
          <thead><tr>{["Key", "Name", "Type", "Status", "Last sync", "Error", "Actions"].map((h) => <th key={h} scope="col">{h}</th>)}</tr></thead>
          <tbody>
            {data.map((row) => (
              <tr key={row.key}>
                <th scope="row">{row.key}</th>
                <td>{row.name}</td>
                <td>{row.type}</td>
                <td>{row.syncStatus ?? "never synced"}</td>
                <td>{when(row.lastSyncAt)}</td>
                <td>{row.syncError ?? ""}</td>
                <td className="decision">
                  <button type="button" className="secondary" aria-label={`Edit ${row.key}`} onClick={() => setEditing(row)}>Edit</button>
                  <button type="button" className="secondary" aria-label={`Test ${row.key}`} disabled={action.busy}
                    onClick={() => act(async () => ({ kind: "test", key: row.key, report: (await request(TestIntegration, { key: row.key })).testIntegration }))}>Test</button>
                  <button type="button" className="secondary" aria-label={`Sync ${row.key}`} disabled={action.busy}
                    onClick={() => act(async () => ({ kind: "sync", key: row.key, report: (await request(SyncIntegration, { key: row.key })).syncIntegration }))}>Sync</button>
                  <button type="button" className="secondary" aria-label={`Resources of ${row.key}`} disabled={action.busy}
                    onClick={() => act(async () => ({ kind: "resources", key: row.key, resources: (await request(IntegrationResources, { key: row.key })).graphNode.parts.map((p) => p.key) }))}>Resources</button>
                  <button type="button" className="danger" aria-label={`Delete ${row.key}`} disabled={action.busy}
                    onClick={() => remove(row.key, false)}>Delete</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}

function OutcomeNote({ outcome }: { outcome: Outcome }) {
  if (outcome.kind === "deleted") {
    return <p role="status">Deleted {outcome.key}{outcome.revoked.length > 0 && `; revoked ${outcome.revoked.join(", ")}`}.</p>;
  }
  if (outcome.kind === "resources") {
    return (
      <section role="region" aria-label={`Resources of ${outcome.key}`} className="card">
        <h2>Resources of {outcome.key}</h2>
        {outcome.resources.length === 0 ? <Empty>No resource found yet: sync it.</Empty> : (
          <ul className="offers">{outcome.resources.map((r) => <li key={r}>{r}</li>)}</ul>
        )}
      </section>
    );
  }
  if (outcome.kind === "test") {
    const r = outcome.report;
    return (
      <section role="status" aria-label={`Test of ${outcome.key}`} className={`preview ${r.ok ? "allowed" : "refused"}`}>
        <strong>{r.ok ? "Connected" : "Not working"}:</strong> {r.message}
        {r.server && ` · ${r.server}`} · creates logins: {r.canCreateLogins ? "yes" : "no"} · ends sessions: {r.canEndSessions ? "yes" : "no"}
        {r.missingRoles.length > 0 && ` · missing roles: ${r.missingRoles.join(", ")}`}
      </section>
    );
  }
  const s = outcome.report;
  return (
    <section role="status" aria-label={`Sync of ${outcome.key}`} className="preview allowed">
      Synced {s.integration}: {s.databases} database(s), {s.schemas} schema(s), {s.standing} standing access,{" "}
      {s.removed} removed{s.unmatchedLogins.length > 0 && `; unmatched logins: ${s.unmatchedLogins.join(", ")}`}
      {s.driftRemoved.length > 0 && `; drift removed: ${s.driftRemoved.join(", ")}`}
    </section>
  );
}
