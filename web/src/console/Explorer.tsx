// The access-graph explorer: who can access a resource, what a person reaches, and the
// paths between the two, read page after page and drawn as a layered graph beside a table.
import { Fragment, useState, type FormEvent } from "react";
import { request } from "../api/graphql";
import { MOST_ROWS, readAll } from "../api/paging";
import { PathGraph, type Path, type Ref } from "./PathGraph";
import { AccessPaths, BlastRadiusOf, BrowseNode, EffectiveAccess, WhoCanAccess, WhoCouldRequest } from "../api/console";
import { BlastView, CypherBox, RequesterTable, SavedQueriesPanel } from "./ExplorerTools";
import type { BlastRadiusOfQuery, BrowseNodeQuery, WhoCouldRequestQuery } from "../gql/graphql";
import { Empty, ErrorNote, Loading, useAction, usePage, when } from "../ui";

interface Row { identity: Ref; resource: Ref; grant: string; standing: boolean; expiresAt?: string | null; permissions: string[]; path: Path }

/** Rows of the table shown at once; the graph beside it draws them all. */
const TABLE_PAGE = 100;

function AccessTable({ rows, caption }: { rows: Row[]; caption: string }) {
  const { shown, pager } = usePage(rows, TABLE_PAGE, "Rows");
  return (
    <div>
    <table>
      <caption>{caption}</caption>
      <thead><tr>{["Identity", "Resource", "Permissions", "How", "Until", "Path"].map((h) => <th key={h} scope="col">{h}</th>)}</tr></thead>
      <tbody>
        {shown.map((r, i) => (
          <tr key={i}>
            <td>{r.identity.key}</td><td>{r.resource.key}</td><td>{r.permissions.join(", ")}</td>
            <td>{r.standing ? "standing" : `grant ${r.grant}`}</td><td>{when(r.expiresAt)}</td>
            <td>{r.path.nodes.map((n) => n.key).join(" → ")}</td>
          </tr>
        ))}
      </tbody>
    </table>
    {pager}
    </div>
  );
}

function PathList({ paths }: { paths: Path[] }) {
  const { shown, pager } = usePage(paths, TABLE_PAGE, "Paths");
  return (
    <div>
      <ul>{shown.map((p, i) => <li key={i}>{p.nodes.map((n, j) => `${j ? ` -${p.edges[j - 1]}→ ` : ""}${n.key}`).join("")}</li>)}</ul>
      {pager}
    </div>
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
  const [read, setRead] = useState(0);
  const [complete, setComplete] = useState(true);
  const { busy, error, run } = useAction();

  function show(found: Row[] | null, drawn: Path[], whole: boolean) {
    setRows(found);
    setPaths(drawn);
    setComplete(whole);
  }

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
      const read = { progress: setRead };
      setRead(0);
      setComplete(true);
      if (mode === "who") {
        const found = await readAll(async (first, offset) =>
          (await request(WhoCanAccess, { resource: resource.trim(), kind: "RESOURCE", first, offset })).whoCanAccess, read);
        show(found.rows, found.rows.map((r) => r.path), found.complete);
      } else if (mode === "could") {
        setRequesters((await request(WhoCouldRequest, { resource: resource.trim() })).whoCouldRequest);
      } else if (mode === "blast") {
        setRadius((await request(BlastRadiusOf, { identity: identity.trim() })).blastRadius);
      } else if (mode === "what") {
        const found = await readAll(async (first, offset) =>
          (await request(EffectiveAccess, { identity: identity.trim(), first, offset })).effectiveAccess, read);
        show(found.rows, found.rows.map((r) => r.path), found.complete);
      } else {
        const found = await readAll(async (first, offset) =>
          (await request(AccessPaths, { identity: identity.trim(), resource: resource.trim(), first, offset })).accessPaths, read);
        show(null, found.rows, found.complete);
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
      {busy && <Loading what={read > 0 ? `the answer (${read.toLocaleString()} rows so far)` : "the answer"} />}
      {mode === "browse" && browsed && <NodeView node={browsed} open={(kind, key) => void open(kind, key)} />}
      {mode === "could" && requesters && <RequesterTable rows={requesters} />}
      {mode === "blast" && radius && <BlastView radius={radius} identity={identity.trim()} />}
      {paths !== null && (paths.length === 0 ? (
        <Empty>No access found.</Empty>
      ) : (
        <div className="explorer">
          {!complete && <p className="muted">{`More than ${MOST_ROWS.toLocaleString()} rows: the first ${MOST_ROWS.toLocaleString()} are shown.`}</p>}
          <PathGraph paths={paths} label="Access paths" />
          {rows ? <AccessTable rows={rows} caption="Access, with its path" /> : <PathList paths={paths} />}
        </div>
      ))}
      <SavedQueriesPanel />
      <CypherBox />
    </main>
  );
}
