// The admins' dashboard, from the activity log of the last two weeks and the grants in
// force: requests per day, time to approval, active grants, top resources, expiring soon
// and failures. Charts are plain SVG (no chart library in the bundle).
import { request } from "../api/graphql";
import { Dashboard as DashboardDoc } from "../api/console";
import { Empty, ErrorNote, Loading, useLoad, useNow, timeLeft } from "../ui";

const DAYS = 14;
const DAY_MS = 24 * 3600 * 1000;

function Bars({ label, values, names }: { label: string; values: number[]; names: string[] }) {
  const most = Math.max(1, ...values);
  const width = 28;
  return (
    <svg role="img" aria-label={`${label}: ${names.map((n, i) => `${n} ${values[i]}`).join(", ")}`}
      width={values.length * width + 10} height={150} className="chart">
      {values.map((v, i) => {
        const h = (v / most) * 110;
        return (
          <g key={i}>
            <rect x={i * width + 5} y={120 - h} width={width - 6} height={h} fill="#2451b3" />
            <text x={i * width + 5 + (width - 6) / 2} y={116 - h} fontSize="10" textAnchor="middle">{v || ""}</text>
            <text x={i * width + 5 + (width - 6) / 2} y={138} fontSize="9" textAnchor="middle">{names[i]}</text>
          </g>
        );
      })}
    </svg>
  );
}

function Tile({ title, children }: { title: string; children: React.ReactNode }) {
  return <section className="card tile" aria-label={title}><h2>{title}</h2>{children}</section>;
}

export function DashboardPage() {
  const now = useNow();
  const since = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS - (DAYS - 1) * DAY_MS).toISOString();
  const { data, error } = useLoad(() => request(DashboardDoc, { from: since }), [since], 30_000);
  if (error) return <main><h1>Dashboard</h1><ErrorNote message={error} /></main>;
  if (!data) return <main><h1>Dashboard</h1><Loading what="the dashboard" /></main>;

  const events = data.activityLog.events;
  const start = Date.parse(since);
  const perDay = Array.from({ length: DAYS }, () => 0);
  const created = new Map<string, number>();
  const waits: number[] = [];
  for (const e of events) {
    const at = e.at ? Date.parse(e.at) : 0;
    if (e.kind === "request.created") {
      perDay[Math.min(DAYS - 1, Math.max(0, Math.floor((at - start) / DAY_MS)))] += 1;
      created.set(e.subject, at);
    } else if (e.kind === "request.approved" && created.has(e.subject)) {
      waits.push((at - (created.get(e.subject) ?? at)) / 60000);
    }
  }
  const days = perDay.map((_, i) => new Date(start + i * DAY_MS).toISOString().slice(5, 10));
  const failures = events.filter((e) => e.kind.endsWith("failed"));
  const grants = data.activeGrants;
  const byResource = new Map<string, number>();
  for (const g of grants) byResource.set(g.resource, (byResource.get(g.resource) ?? 0) + 1);
  const top = [...byResource.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5);
  const soon = grants
    .filter((g) => g.expiresAt && Date.parse(g.expiresAt) - now < 3600_000)
    .sort((a, b) => Date.parse(a.expiresAt ?? "") - Date.parse(b.expiresAt ?? ""));
  const median = waits.length ? [...waits].sort((a, b) => a - b)[Math.floor(waits.length / 2)] : null;

  return (
    <main className="wide">
      <h1>Dashboard</h1>
      {data.activityLog.hasNextPage && <p className="muted">More than 500 events in {DAYS} days: the charts show the first 500.</p>}
      <div className="tiles">
        <Tile title="Requests per day"><Bars label="Requests per day" values={perDay} names={days} /></Tile>
        <Tile title="Approval time">
          <p className="big">{median === null ? "—" : `${median.toFixed(1)} min`}</p>
          <p className="muted">median of {waits.length} approval(s), from request to approval</p>
        </Tile>
        <Tile title="Active grants"><p className="big">{grants.length}</p></Tile>
        <Tile title="Top resources">
          {top.length === 0 ? <Empty>No access granted now.</Empty> : (
            <Bars label="Active grants per resource" values={top.map(([, n]) => n)} names={top.map(([r]) => r.split("/").pop() ?? r)} />
          )}
        </Tile>
        <Tile title="Expiring within the hour">
          {soon.length === 0 ? <Empty>Nothing expires within the hour.</Empty> : (
            <ul>{soon.slice(0, 10).map((g) => <li key={g.id}>{g.resource} for {g.beneficiary}: {timeLeft(g.expiresAt, now)}</li>)}</ul>
          )}
        </Tile>
        <Tile title="Failures">
          <p className="big">{failures.length}</p>
          <ul>{failures.slice(-5).map((e, i) => <li key={i}>{e.kind} {e.resource || e.subject}</li>)}</ul>
        </Tile>
      </div>
    </main>
  );
}
