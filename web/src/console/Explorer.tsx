// The access-graph explorer: who can access a resource, what a person reaches, and the
// paths between the two, each drawn as a small layered graph (SVG) beside a table.
import { Fragment, useState, type FormEvent } from "react";
import { request } from "../api/graphql";
import { AccessPaths, BlastRadiusOf, BrowseNode, EffectiveAccess, WhoCanAccess, WhoCouldRequest } from "../api/console";
import { BlastView, CypherBox, RequesterTable, SavedQueriesPanel } from "./ExplorerTools";
import type { BlastRadiusOfQuery, BrowseNodeQuery, WhoCouldRequestQuery } from "../gql/graphql";
import { Empty, ErrorNote, Loading, useAction, when } from "../ui";

interface Ref { kind: string; key: string }
interface Path { nodes: Ref[]; edges: string[] }
interface Row { identity: Ref; resource: Ref; grant: string; standing: boolean; expiresAt?: string | null; permissions: string[]; path: Path }

const COLUMN = 190;
const ROW = 46;

/** The union of `paths`, each node placed in the column of its distance from the start. */
export function PathGraph({ paths, label }: { paths: Path[]; label: string }) {
  const place = new Map<string, { x: number; y: number; ref: Ref }>();
  const perColumn: number[] = [];
  const edges = new Map<string, { from: string; to: string; kind: string }>();
  for (const path of paths) {
    path.nodes.forEach((ref, depth) => {
      const id = `${ref.kind}:${ref.key}`;
      if (!place.has(id)) {
        const row = perColumn[depth] ?? 0;
        perColumn[depth] = row + 1;
        place.set(id, { x: depth * COLUMN + 10, y: row * ROW + 10, ref });
      }
      if (depth > 0) {
        const from = `${path.nodes[depth - 1].kind}:${path.nodes[depth - 1].key}`;
        edges.set(`${from}>${id}`, { from, to: id, kind: path.edges[depth - 1] ?? "" });
      }
    });
  }
  if (place.size === 0) return null;
  const width = perColumn.length * COLUMN + 20;
  const height = Math.max(...perColumn) * ROW + 20;
  return (
    <svg role="img" aria-label={label} width={width} height={height} className="graph">
      {[...edges.values()].map((e) => {
        const a = place.get(e.from)!;
        const b = place.get(e.to)!;
        return (
          <g key={`${e.from}>${e.to}`}>
            <line x1={a.x + 160} y1={a.y + 15} x2={b.x} y2={b.y + 15} stroke="#8792a8" markerEnd="url(#arrow)" />
            <text x={(a.x + 160 + b.x) / 2} y={(a.y + b.y) / 2 + 10} fontSize="9" textAnchor="middle">{e.kind}</text>
          </g>
        );
      })}
      {[...place.entries()].map(([id, p]) => (
        <g key={id}>
          <rect x={p.x} y={p.y} width={160} height={30} rx={5} fill="#fff" stroke="#2451b3" />
          <text x={p.x + 6} y={p.y + 19} fontSize="11">{`${p.ref.kind}: ${p.ref.key}`.slice(0, 28)}</text>
        </g>
      ))}
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto">
          <path d="M0,0 L10,5 L0,10 z" fill="#8792a8" />
        </marker>
      </defs>
    </svg>
  );
}

function AccessTable({ rows, caption }: { rows: Row[]; caption: string }) {
  return (
    <table>
      <caption>{caption}</caption>
      <thead><tr>{["Identity", "Resource", "Permissions", "How", "Until", "Path"].map((h) => <th key={h} scope="col">{h}</th>)}</tr></thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={i}>
            <td>{r.identity.key}</td><td>{r.resource.key}</td><td>{r.permissions.join(", ")}</td>
            <td>{r.standing ? "standing" : `grant ${r.grant}`}</td><td>{when(r.expiresAt)}</td>
            <td>{r.path.nodes.map((n) => n.key).join(" → ")}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

type Mode = "who" | "could" | "what" | "blast" | "paths" | "browse";
type Browsed = BrowseNodeQuery["graphNode"];
const NODE_KINDS = ["User", "Group", "Resource", "Integration", "AccessFlow", "Bundle", "AccessRequest"];
const LINKS: [keyof Browsed, string][] = [
  ["memberOf", "member of"], ["members", "members"], ["reportsTo", "reports to"], ["hasAccess", "has access to"],
  ["accessedBy", "accessed by"], ["partOf", "part of"], ["parts", "parts"],
];

/** One node and its neighbours, drawn as a star; each neighbour opens in turn. */
function NodeView({ node, open }: { node: Browsed; open: (kind: string, key: string) => void }) {
  const around = LINKS.flatMap(([field, words]) => (node[field] as Ref[]).map((ref) => ({ ref, words })));
  const paths = around.map(({ ref, words }) => ({ nodes: [{ kind: node.kind, key: node.key }, ref], edges: [words] }));
  return (
    <div className="explorer">
      {paths.length > 0 && <PathGraph paths={paths} label={`Neighbours of ${node.key}`} />}
      <dl className="facts">
        {Object.entries((node.props ?? {}) as Record<string, unknown>)
          .filter(([name]) => !name.includes("hash"))
          .map(([name, value]) => (
            <Fragment key={name}><dt>{name}</dt><dd>{JSON.stringify(value)}</dd></Fragment>
          ))}
      </dl>
      {around.length === 0 ? <Empty>No neighbours.</Empty> : (
        <ul>
          {around.map(({ ref, words }, i) => (
            <li key={i}>
              {words}:{" "}
              <button type="button" className="secondary" onClick={() => open(ref.kind, ref.key)}>
                {ref.kind} {ref.key}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function ExplorerPage() {
  const [mode, setMode] = useState<Mode>("who");
  const [identity, setIdentity] = useState("");
  const [resource, setResource] = useState("");
  const [rows, setRows] = useState<Row[] | null>(null);
  const [paths, setPaths] = useState<Path[] | null>(null);
  const [nodeKind, setNodeKind] = useState("User");
  const [browsed, setBrowsed] = useState<Browsed | null>(null);
  const [requesters, setRequesters] = useState<WhoCouldRequestQuery["whoCouldRequest"] | null>(null);
  const [radius, setRadius] = useState<BlastRadiusOfQuery["blastRadius"] | null>(null);
  const { busy, error, run } = useAction();

  async function open(kind: string, key: string) {
    setNodeKind(kind);
    setIdentity(key);
    setBrowsed(null);
    await run(async () => setBrowsed((await request(BrowseNode, { kind, key })).graphNode));
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setRows(null);
    setPaths(null);
    setRequesters(null);
    setRadius(null);
    if (mode === "browse") return open(nodeKind, identity.trim());
    await run(async () => {
      if (mode === "who") {
        const found = (await request(WhoCanAccess, { resource: resource.trim(), kind: "RESOURCE" })).whoCanAccess;
        setRows(found);
        setPaths(found.map((r) => r.path));
      } else if (mode === "could") {
        setRequesters((await request(WhoCouldRequest, { resource: resource.trim() })).whoCouldRequest);
      } else if (mode === "blast") {
        setRadius((await request(BlastRadiusOf, { identity: identity.trim() })).blastRadius);
      } else if (mode === "what") {
        const found = (await request(EffectiveAccess, { identity: identity.trim() })).effectiveAccess;
        setRows(found);
        setPaths(found.map((r) => r.path));
      } else {
        setPaths((await request(AccessPaths, { identity: identity.trim(), resource: resource.trim() })).accessPaths);
      }
    });
  }

  return (
    <main className="wide">
      <h1>Access graph</h1>
      <form onSubmit={submit} aria-label="Ask the access graph" className="inline-form wrap">
        <label>
          Question
          <select value={mode} onChange={(e) => setMode(e.target.value as Mode)}>
            <option value="who">Who can access a resource</option>
            <option value="could">Who could request a resource</option>
            <option value="what">What a person reaches</option>
            <option value="blast">Blast radius of a person</option>
            <option value="paths">Paths from a person to a resource</option>
            <option value="browse">Browse from a node</option>
          </select>
        </label>
        {mode === "browse" && (
          <label>
            Node kind
            <select value={nodeKind} onChange={(e) => setNodeKind(e.target.value)}>
              {NODE_KINDS.map((k) => <option key={k}>{k}</option>)}
            </select>
          </label>
        )}
        {mode !== "who" && mode !== "could" && <label>{mode === "browse" ? "Node key" : "Person"}<input required value={identity} onChange={(e) => setIdentity(e.target.value)} /></label>}
        {(mode === "who" || mode === "could" || mode === "paths") && <label>Resource<input required value={resource} onChange={(e) => setResource(e.target.value)} /></label>}
        <button type="submit" disabled={busy}>Ask</button>
      </form>
      <ErrorNote message={error} />
      {busy && <Loading what="the answer" />}
      {mode === "browse" && browsed && <NodeView node={browsed} open={(kind, key) => void open(kind, key)} />}
      {mode === "could" && requesters && <RequesterTable rows={requesters} />}
      {mode === "blast" && radius && <BlastView radius={radius} identity={identity.trim()} />}
      {paths !== null && (paths.length === 0 ? (
        <Empty>No access found.</Empty>
      ) : (
        <div className="explorer">
          <PathGraph paths={paths} label="Access paths" />
          {rows ? <AccessTable rows={rows} caption="Access, with its path" /> : (
            <ul>{paths.map((p, i) => <li key={i}>{p.nodes.map((n, j) => `${j ? ` -${p.edges[j - 1]}→ ` : ""}${n.key}`).join("")}</li>)}</ul>
          )}
        </div>
      ))}
      <SavedQueriesPanel />
      <CypherBox />
    </main>
  );
}
