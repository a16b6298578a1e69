// Forbid rules (admin-wide denials every flow yields to) and bundles (named sets of
// resources requested together). The API validates; its message shows beside the form.
import { useState, type FormEvent } from "react";
import { request } from "../api/graphql";
import { DeleteBundle, DeleteForbidRule, ForbidRules, SaveBundle, SaveForbidRule } from "../api/console";
import { graphql } from "../gql";
import type { BundleItemKind, BundlesQuery } from "../gql/graphql";
import { Empty, ErrorNote, Loading, useAction, useLoad } from "../ui";
import { listOf } from "./Guard";

export function ForbidRulesPage() {
  const { data, error, reload } = useLoad(async () => (await request(ForbidRules)).forbidRules, []);
  const [key, setKey] = useState("");
  const [name, setName] = useState("");
  const [tags, setTags] = useState("");
  const [resources, setResources] = useState("");
  const [integrations, setIntegrations] = useState("");
  const [bundles, setBundles] = useState("");
  const [enabled, setEnabled] = useState(true);
  const [days, setDays] = useState("");
  const [from, setFrom] = useState("");
  const [until, setUntil] = useState("");
  const [zone, setZone] = useState("");
  const saving = useAction();
  const removing = useAction();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const rule = {
      key: key.trim(), name, enabled, tags: listOf(tags), resources: listOf(resources),
      integrations: listOf(integrations), bundles: listOf(bundles),
      windowDays: listOf(days), windowStart: from.trim(), windowEnd: until.trim(), timeZone: zone.trim(),
    };
    if (await saving.run(() => request(SaveForbidRule, { rule }))) reload();
  }

  return (
    <main className="wide">
      <h1>Forbid rules</h1>
      <p className="muted">A forbid rule refuses every request it matches, whatever flow would allow it.</p>
      <ErrorNote message={error ?? removing.error} />
      {data === undefined ? (
        !error && <Loading what="forbid rules" />
      ) : data.length === 0 ? (
        <Empty>No forbid rule.</Empty>
      ) : (
        <table>
          <caption>Forbid rules, by key</caption>
          <thead><tr><th scope="col">Key</th><th scope="col">Name</th><th scope="col">Matches</th><th scope="col">Enabled</th><th scope="col">Delete</th></tr></thead>
          <tbody>
            {data.map((r) => (
              <tr key={r.key}>
                <th scope="row">{r.key}</th>
                <td>{r.name}</td>
                <td>{[...r.tags.map((t) => `tag ${t}`), ...r.resources, ...r.integrations.map((i) => `integration ${i}`), ...r.bundles.map((b) => `bundle ${b}`)].join(", ")}</td>
                <td>
                  {r.enabled ? "yes" : "no"}
                  {r.windowStart ? ` (${r.windowDays.join(", ") || "every day"} ${r.windowStart} to ${r.windowEnd} ${r.timeZone})` : ""}
                </td>
                <td>
                  <button type="button" className="danger" disabled={removing.busy} aria-label={`Delete ${r.key}`}
                    onClick={() => void removing.run(() => request(DeleteForbidRule, { key: r.key })).then((ok) => ok && reload())}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Save a forbid rule</h2>
      <form onSubmit={submit} aria-label="Save a forbid rule" className="form">
        <label>Key<input required value={key} onChange={(e) => setKey(e.target.value)} /></label>
        <label>Name<input value={name} onChange={(e) => setName(e.target.value)} /></label>
        <label>Tags (comma-separated)<input value={tags} onChange={(e) => setTags(e.target.value)} /></label>
        <label>Resources<input value={resources} onChange={(e) => setResources(e.target.value)} /></label>
        <label>Integrations<input value={integrations} onChange={(e) => setIntegrations(e.target.value)} /></label>
        <label>Bundles<input value={bundles} onChange={(e) => setBundles(e.target.value)} /></label>
        <fieldset>
          <legend>Only during (empty: always)</legend>
          <label>Days (e.g. sat, sun)<input value={days} onChange={(e) => setDays(e.target.value)} /></label>
          <label>From (HH:MM)<input value={from} onChange={(e) => setFrom(e.target.value)} /></label>
          <label>Until (HH:MM)<input value={until} onChange={(e) => setUntil(e.target.value)} /></label>
          <label>Time zone (IANA)<input value={zone} onChange={(e) => setZone(e.target.value)} /></label>
        </fieldset>
        <label className="inline">
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Enabled
        </label>
        <ErrorNote message={saving.error} />
        <button type="submit" disabled={saving.busy}>Save rule</button>
      </form>
    </main>
  );
}

const Bundles = graphql(`
  query Bundles($first: Int!, $after: String) {
    bundles(first: $first, after: $after) {
      bundles {
        key
        name
        description
        items {
          kind
          key
        }
        flows {
          key
          name
          permissions
        }
        permissions
      }
      endCursor
      hasNextPage
    }
  }
`);
const BUNDLE_PAGE = 8; // each bundle may hold 500 items: the API's cost budget allows 9 a page

type Listed = BundlesQuery["bundles"]["bundles"][number];

export function BundlesPage() {
  const [key, setKey] = useState("");
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [resources, setResources] = useState("");
  const [integrations, setIntegrations] = useState("");
  const [cursors, setCursors] = useState<string[]>([]);
  const after = cursors.length ? cursors[cursors.length - 1] : null;
  const { data, error, reload } = useLoad(
    async () => (await request(Bundles, { first: BUNDLE_PAGE, after })).bundles,
    [after],
  );
  const saving = useAction();
  const removing = useAction();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const items = [
      ...listOf(resources).map((k) => ({ key: k, kind: "RESOURCE" as BundleItemKind })),
      ...listOf(integrations).map((k) => ({ key: k, kind: "INTEGRATION" as BundleItemKind })),
    ];
    const ok = await saving.run(() => request(SaveBundle, { bundle: { key: key.trim(), name, description, items } }));
    if (ok) reload();
  }

  async function remove() {
    const ok = await removing.run(() => request(DeleteBundle, { key: key.trim() }));
    if (ok) reload();
  }

  function edit(bundle: Listed) {
    const keysOf = (kind: string) => bundle.items.filter((i) => i.kind === kind).map((i) => i.key).join(", ");
    setKey(bundle.key);
    setName(bundle.name);
    setDescription(bundle.description);
    setResources(keysOf("Resource"));
    setIntegrations(keysOf("Integration"));
  }

  return (
    <main>
      <h1>Bundles</h1>
      <p className="muted">A bundle is requested as one: every item allowed, or none is requested. Saving a key again replaces it.</p>
      <ErrorNote message={error} />
      {data === undefined ? (
        !error && <Loading what="the bundles" />
      ) : data.bundles.length === 0 ? (
        <Empty>No bundle is saved yet.</Empty>
      ) : (
        <table>
          <caption>Saved bundles</caption>
          <thead><tr>{["Key", "Name", "Items", "Flows", "Permissions", ""].map((h) => <th key={h} scope="col">{h}</th>)}</tr></thead>
          <tbody>
            {data.bundles.map((b) => (
              <tr key={b.key}>
                <td>{b.key}</td>
                <td>{b.name}</td>
                <td>{b.items.map((i) => (i.kind === "Resource" ? i.key : `${i.kind.toLowerCase()} ${i.key}`)).join(", ")}</td>
                <td>{b.flows.length ? b.flows.map((f) => f.name).join(", ") : <span className="muted">no flow targets it</span>}</td>
                <td>{b.permissions.join(", ")}</td>
                <td><button type="button" className="secondary" onClick={() => edit(b)} aria-label={`Edit ${b.key}`}>Edit</button></td>
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
      <form onSubmit={submit} aria-label="Save a bundle" className="form">
        <label>Key<input required value={key} onChange={(e) => setKey(e.target.value)} /></label>
        <label>Name<input required value={name} onChange={(e) => setName(e.target.value)} /></label>
        <label>Description<input value={description} onChange={(e) => setDescription(e.target.value)} /></label>
        <label>Resources (comma-separated)<input value={resources} onChange={(e) => setResources(e.target.value)} /></label>
        <label>Integrations as a whole<input value={integrations} onChange={(e) => setIntegrations(e.target.value)} /></label>
        <ErrorNote message={saving.error} />
        <div className="inline-form">
          <button type="submit" disabled={saving.busy}>Save bundle</button>
          <button type="button" className="danger" disabled={removing.busy || !key.trim()} onClick={() => void remove()}>
            Delete bundle
          </button>
        </div>
        <ErrorNote message={removing.error} />
      </form>
    </main>
  );
}
