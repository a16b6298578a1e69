// The activity log for admins and auditors: filters, paging, the hash chain's status, and
// the filtered events exported as CSV (walked page by page through the same query).
import { useState, type FormEvent } from "react";
import { request } from "../api/graphql";
import { ActivityLog, AuditVerify } from "../api/console";
import type { ActivityFilter, ActivityLogQuery } from "../gql/graphql";
import { Empty, ErrorNote, Loading, useAction, useLoad, when } from "../ui";

type Event = ActivityLogQuery["activityLog"]["events"][number];
const PAGE = 50;
const EXPORT_LIMIT = 20_000; // events in one export; narrow the filter for more

function iso(local: string): string | null {
  return local ? new Date(local).toISOString() : null;
}

function csvOf(events: Event[]): string {
  const cell = (value: unknown) => `"${String(value ?? "").replaceAll('"', '""')}"`;
  const head = ["seq", "at", "kind", "actor", "resource", "subject", "data"];
  const rows = events.map((e) => [e.seq, e.at, e.kind, e.actor, e.resource, e.subject, JSON.stringify(e.data)].map(cell).join(","));
  return [head.join(","), ...rows].join("\r\n") + "\r\n";
}

export function ActivityPage() {
  const [form, setForm] = useState({ from: "", to: "", actor: "", resource: "", kind: "" });
  const [filter, setFilter] = useState<ActivityFilter>({});
  const [cursors, setCursors] = useState<string[]>([]);
  const after = cursors.length ? cursors[cursors.length - 1] : null;
  const { data, error } = useLoad(
    async () => (await request(ActivityLog, { filter, first: PAGE, after })).activityLog,
    [JSON.stringify(filter), after],
  );
  const verify = useLoad(async () => (await request(AuditVerify)).auditVerify, []);
  const exporting = useAction();

  function apply(event: FormEvent) {
    event.preventDefault();
    setFilter({
      from: iso(form.from),
      to: iso(form.to),
      actor: form.actor.trim() || null,
      resource: form.resource.trim() || null,
      kind: form.kind.trim() || null,
    });
    setCursors([]);
  }

  async function exportCsv() {
    await exporting.run(async () => {
      const all: Event[] = [];
      let cursor: string | null = null;
      do {
        const page: ActivityLogQuery["activityLog"] = (await request(ActivityLog, { filter, first: 500, after: cursor })).activityLog;
        all.push(...page.events);
        cursor = page.hasNextPage ? page.endCursor ?? null : null;
      } while (cursor && all.length < EXPORT_LIMIT);
      const link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([csvOf(all)], { type: "text/csv" }));
      link.download = "keyturn-activity.csv";
      link.click();
      URL.revokeObjectURL(link.href);
    });
  }

  const field = (name: keyof typeof form, label: string, type = "text") => (
    <label>
      {label}
      <input type={type} value={form[name]} onChange={(e) => setForm({ ...form, [name]: e.target.value })} />
    </label>
  );

  return (
    <main className="wide">
      <h1>Activity log</h1>
      <p aria-label="Chain status">
        {verify.error ? <ErrorNote message={verify.error} /> : verify.data === undefined ? "Checking the log's chain…" :
          verify.data.ok ? `The log's hash chain is intact (${verify.data.checked} events checked).` :
          <strong className="error">The chain breaks at event {verify.data.seq}: {verify.data.problem}</strong>}
      </p>
      <form onSubmit={apply} aria-label="Filter the log" className="inline-form wrap">
        {field("from", "From", "datetime-local")}
        {field("to", "To", "datetime-local")}
        {field("actor", "Actor")}
        {field("resource", "Resource")}
        {field("kind", "Kind (e.g. request.created)")}
        <button type="submit">Filter</button>
        <button type="button" className="secondary" disabled={exporting.busy} onClick={() => void exportCsv()}>
          {exporting.busy ? "Exporting…" : "Export CSV"}
        </button>
      </form>
      <ErrorNote message={error ?? exporting.error} />
      {data === undefined ? (
        !error && <Loading what="the activity log" />
      ) : data.events.length === 0 ? (
        <Empty>No event matches.</Empty>
      ) : (
        <table>
          <caption>Events, oldest first</caption>
          <thead><tr>{["#", "When", "Kind", "Actor", "Resource", "Subject"].map((h) => <th key={h} scope="col">{h}</th>)}</tr></thead>
          <tbody>
            {data.events.map((e) => (
              <tr key={e.seq}>
                <td>{e.seq}</td><td>{when(e.at)}</td><td>{e.kind}</td><td>{e.actor}</td><td>{e.resource}</td><td>{e.subject}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p>
        {cursors.length > 0 && <button type="button" className="secondary" onClick={() => setCursors(cursors.slice(0, -1))}>Previous</button>}{" "}
        {data?.hasNextPage && data.endCursor && (
          <button type="button" className="secondary" onClick={() => setCursors([...cursors, data.endCursor as string])}>Next</button>
        )}
      </p>
    </main>
  );
}
