// The explorer's other answers: who could request a resource, an identity's blast radius,
// the saved audit queries and a read-only Cypher box, each shown as a table.
import { useState, type FormEvent } from "react";
import { request } from "../api/graphql";
import { RawQuery, RunSavedQuery, SavedQueries } from "../api/console";
import type { BlastRadiusOfQuery, RawQueryQuery, RunSavedQueryQuery, WhoCouldRequestQuery } from "../gql/graphql";
import { Empty, ErrorNote, Loading, useAction, useLoad } from "../ui";

type Requesters = WhoCouldRequestQuery["whoCouldRequest"];
type Radius = BlastRadiusOfQuery["blastRadius"];

export function RequesterTable({ rows }: { rows: Requesters }) {
  if (rows.length === 0) return <Empty>No enabled flow lets anyone request it.</Empty>;
  return (
    <table>
      <caption>Who could request it, and through which flow</caption>
      <thead><tr>{["Identity", "Flow", "Through groups"].map((h) => <th key={h} scope="col">{h}</th>)}</tr></thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={i}>
            <td>{r.identity.kind} {r.identity.key}</td><td>{r.flow}</td>
            <td>{r.everyone ? "everyone" : r.groups.join(", ") || "named in the flow"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function CountTable({ counts, caption, what }: { counts: Radius["perTag"]; caption: string; what: string }) {
  if (counts.length === 0) return null;
  return (
    <table>
      <caption>{caption}</caption>
      <thead><tr><th scope="col">{what}</th><th scope="col">Resources</th></tr></thead>
      <tbody>{counts.map((c) => <tr key={c.key}><td>{c.key}</td><td>{c.count}</td></tr>)}</tbody>
    </table>
  );
}

export function BlastView({ radius, identity }: { radius: Radius; identity: string }) {
  return (
    <section aria-label="Blast radius" className="explorer">
      <p>{identity} reaches <strong>{radius.resources}</strong> resource(s) now.</p>
      <CountTable counts={radius.perIntegration} caption="Per integration" what="Integration" />
      <CountTable counts={radius.perTag} caption="Per tag" what="Tag" />
    </section>
  );
}

/** Rows as the API returns them (JSON), every cell shown as text. */
function RowsTable({ columns, rows, caption }: { columns: string[]; rows: unknown[][]; caption: string }) {
  if (rows.length === 0) return <Empty>No rows.</Empty>;
  return (
    <table>
      <caption>{caption}</caption>
      <thead><tr>{columns.map((c) => <th key={c} scope="col">{c}</th>)}</tr></thead>
      <tbody>
        {rows.map((row, i) => (
          <tr key={i}>{row.map((cell, j) => <td key={j}>{typeof cell === "string" ? cell : JSON.stringify(cell)}</td>)}</tr>
        ))}
      </tbody>
    </table>
  );
}

export function SavedQueriesPanel() {
  const { data, error: loadError } = useLoad(() => request(SavedQueries), []);
  const [name, setName] = useState("");
  const [values, setValues] = useState<Record<string, string>>({});
  const [found, setFound] = useState<RunSavedQueryQuery["runSavedQuery"] | null>(null);
  const { busy, error, run } = useAction();
  const chosen = data?.savedQueries.find((q) => q.name === name);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setFound(null);
    const params = Object.fromEntries(Object.entries(values).filter(([, v]) => v.trim() !== ""));
    await run(async () => setFound((await request(RunSavedQuery, { name, params })).runSavedQuery));
  }

  return (
    <section aria-labelledby="saved-queries">
      <h2 id="saved-queries">Saved audit queries</h2>
      <ErrorNote message={loadError} />
      {!data && !loadError && <Loading what="the saved queries" />}
      {data && (
        <form onSubmit={submit} aria-label="Run a saved query" className="inline-form wrap">
          <label>
            Saved query
            <select required value={name} onChange={(e) => { setName(e.target.value); setValues({}); setFound(null); }}>
              <option value="">Choose a query</option>
              {data.savedQueries.map((q) => <option key={q.name} value={q.name}>{q.name}</option>)}
            </select>
          </label>
          {chosen?.parameters.map((p) => (
            <label key={p.name}>
              {p.name}
              <input value={values[p.name] ?? ""} placeholder={p.default == null ? "required" : String(p.default)}
                onChange={(e) => setValues({ ...values, [p.name]: e.target.value })} />
            </label>
          ))}
          <button type="submit" disabled={busy || !name}>Run</button>
        </form>
      )}
      {chosen && <p className="muted">{chosen.description}</p>}
      <ErrorNote message={error} />
      {found && (
        <RowsTable caption={`Findings of ${name}`} columns={["Subject", "Target", "Detail"]}
          rows={found.map((f) => [`${f.subject.kind} ${f.subject.key}`, f.target ? `${f.target.kind} ${f.target.key}` : "—", f.detail])} />
      )}
    </section>
  );
}

export function CypherBox() {
  const [cypher, setCypher] = useState("MATCH (u:User) RETURN u.email AS user LIMIT 25");
  const [result, setResult] = useState<RawQueryQuery["rawQuery"] | null>(null);
  const { busy, error, run } = useAction();

  async function submit(event: FormEvent) {
    event.preventDefault();
    setResult(null);
    await run(async () => setResult((await request(RawQuery, { cypher })).rawQuery));
  }

  return (
    <section aria-labelledby="cypher">
      <h2 id="cypher">Cypher query (read-only)</h2>
      <form onSubmit={submit} aria-label="Run a Cypher query">
        <label>
          Cypher
          <textarea required value={cypher} onChange={(e) => setCypher(e.target.value)} spellCheck={false} />
        </label>
        <ErrorNote message={error} />
        <div><button type="submit" disabled={busy}>Run query</button></div>
      </form>
      {result && (
        <>
          <RowsTable caption="Query result" columns={result.columns} rows={result.rows as unknown[][]} />
          {result.truncated && <p className="muted">Only the first 500 rows are shown.</p>}
        </>
      )}
    </section>
  );
}
