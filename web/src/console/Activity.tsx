// The activity log for admins and auditors: filters, paging, the hash chain's status, and
// reports of a time range downloaded as CSV or PDF (the server streams them: /audit/report.*).
import { useState, type FormEvent } from "react";
import { request } from "../api/graphql";
import { ActivityLog, AuditVerify } from "../api/console";
import type { ActivityFilter } from "../gql/graphql";
import { Empty, ErrorNote, Loading, useLoad, when } from "../ui";

const PAGE = 50;
const DAY_MS = 86_400_000;
const REPORT_DAYS = 366; // the server's longest report (broker MAX_REPORT_DAYS)
const DEFAULT_REPORT_DAYS = 30;

function iso(local: string): string | null {
  return local ? new Date(local).toISOString() : null;
}

// The report's range: the filter's From and To, or the last 30 days up to now; a reason
// instead when the server would refuse it, so a link never downloads an error.
function reportRange(filter: ActivityFilter): { from: string; to: string } | { problem: string } {
  const to = filter.to ? new Date(filter.to as string) : new Date();
  const from = filter.from ? new Date(filter.from as string) : new Date(to.getTime() - DEFAULT_REPORT_DAYS * DAY_MS);
  if (to <= from) return { problem: "the time range ends before it starts: put To after From" };
  if (to.getTime() - from.getTime() > REPORT_DAYS * DAY_MS) {
    return { problem: `the time range spans more than ${REPORT_DAYS} days: ask for one year at a time` };
  }
  return { from: from.toISOString(), to: to.toISOString() };
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
  const range = reportRange(filter);
  const report = (ext: "csv" | "pdf") =>
    "problem" in range ? undefined : `/audit/report.${ext}?${new URLSearchParams(range).toString()}`;

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
      </form>
      <p aria-label="Reports" className="inline-form">
        {"problem" in range ? (
          <ErrorNote message={`Reports: ${range.problem}`} />
        ) : (
          <>
            <span className="muted">Report of {when(range.from)} to {when(range.to)} (every kind):</span>
            <a className="button secondary" href={report("csv")} download>Download CSV</a>
            <a className="button secondary" href={report("pdf")} download>Download PDF</a>
          </>
        )}
      </p>
      <ErrorNote message={error} />
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
