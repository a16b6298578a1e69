// Ask for access to a resource or a bundle. A search lists what the access flows let you
// request, with each flow's terms; choosing one fills the form and bounds the duration.
// While the form is filled, the API's preview says whether the request would be allowed,
// and why not, before anything is sent; a refusal on submit shows the same explanation.
import { useEffect, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { request } from "../api/graphql";
import { messageOf } from "../api/errors";
import {
  PreviewRequest,
  RequestAccess as RequestAccessDoc,
  RequestBundle,
  Requestable,
} from "../api/operations";
import type { PreviewRequestQuery, RequestableQuery, RequestFieldsFragment } from "../gql/graphql";
import { Empty, ErrorNote, Loading, useAction } from "../ui";

type Target = "resource" | "bundle";
type Item = RequestableQuery["requestable"]["items"][number];
type Offer = Item["flows"][number];

const SEARCH_DELAY_MS = 250; // search as you type, without a call per key stroke
const PREVIEW_DELAY_MS = 400;

/** `value`, once it has stayed the same for `ms`. */
function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = window.setTimeout(() => setSettled(value), ms);
    return () => window.clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

function SearchResults({ search, choose }: { search: string; choose: (item: Item, offer: Offer) => void }) {
  const [found, setFound] = useState<RequestableQuery["requestable"] | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [more, setMore] = useState<Item[]>([]);
  useEffect(() => {
    let current = true;
    setFound(undefined);
    setMore([]);
    request(Requestable, { search, first: 20, after: null })
      .then((answer) => current && (setFound(answer.requestable), setError(null)))
      .catch((failure: unknown) => current && setError(messageOf(failure)));
    return () => {
      current = false;
    };
  }, [search]);

  async function next() {
    if (!found?.endCursor) return;
    try {
      const answer = await request(Requestable, { search, first: 20, after: found.endCursor });
      setMore((items) => [...items, ...answer.requestable.items]);
      setFound({ ...answer.requestable, items: found.items });
    } catch (failure) {
      setError(messageOf(failure));
    }
  }

  if (error) return <ErrorNote message={error} />;
  if (found === undefined) return <Loading what="what you may request" />;
  const items = [...found.items, ...more];
  return (
    <section aria-label="What you may request">
      {items.length === 0 ? (
        <Empty>Nothing you may request matches “{search}”.</Empty>
      ) : (
        <ul className="cards results">
          {items.map((item) => (
            <li key={`${item.kind}:${item.key}`} className="card" aria-label={item.key}>
              <h2>
                {item.name} <span className="muted">({item.kind === "Bundle" ? "bundle" : item.key})</span>
              </h2>
              {item.tags.length > 0 && <p className="muted">Tags: {item.tags.join(", ")}</p>}
              <ul className="offers">
                {item.flows.map((offer) => (
                  <li key={offer.flow}>
                    <strong>{offer.name}</strong>: {offer.permissions.join(", ")}, up to {offer.maxDurationMinutes} min
                    {offer.justificationRequired ? ", justification required" : ""}; {offer.approval}.{" "}
                    <button type="button" className="secondary" onClick={() => choose(item, offer)}
                      aria-label={`Choose ${item.key} through ${offer.name}`}>
                      Choose
                    </button>
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      )}
      {found.hasNextPage && (
        <button type="button" className="secondary" onClick={() => void next()}>Show more</button>
      )}
    </section>
  );
}

function PreviewNote({ preview, failure }: { preview: PreviewRequestQuery["previewRequest"] | null; failure: string | null }) {
  if (failure) return <p className="preview muted">{failure}</p>;
  if (!preview) return null;
  if (!preview.allowed) {
    return <p className="preview refused"><strong>Would be refused:</strong> {preview.explanation}</p>;
  }
  return (
    <p className="preview allowed">
      <strong>Would be allowed</strong> by flow {preview.flow?.name} for {preview.durationMinutes} min;{" "}
      {preview.flow?.approval}.
    </p>
  );
}

export function RequestAccess() {
  const [search, setSearch] = useState("");
  const [target, setTarget] = useState<Target>("resource");
  const [key, setKey] = useState("");
  const [chosen, setChosen] = useState<Offer | null>(null);
  const [permissions, setPermissions] = useState("read");
  const [minutes, setMinutes] = useState("");
  const [justification, setJustification] = useState("");
  const [beneficiary, setBeneficiary] = useState("");
  const [made, setMade] = useState<RequestFieldsFragment[]>([]);
  const [preview, setPreview] = useState<PreviewRequestQuery["previewRequest"] | null>(null);
  const [previewFailure, setPreviewFailure] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const settledSearch = useSettled(search.trim(), SEARCH_DELAY_MS);

  const asked = {
    permissions: permissions.split(",").map((p) => p.trim()).filter(Boolean),
    durationMinutes: minutes ? Number(minutes) : null,
    justification,
    beneficiary: beneficiary.trim() || null,
  };
  const settledAsk = useSettled(JSON.stringify({ target, key: key.trim(), ...asked }), PREVIEW_DELAY_MS);

  useEffect(() => {
    const ask = JSON.parse(settledAsk) as { target: Target; key: string } & typeof asked;
    setPreview(null);
    setPreviewFailure(null);
    if (ask.target !== "resource" || !ask.key || ask.permissions.length === 0) return undefined;
    let current = true;
    const { target: _target, key: resource, ...rest } = ask;
    request(PreviewRequest, { request: { resource, ...rest } })
      .then((answer) => current && setPreview(answer.previewRequest))
      .catch((failure: unknown) => current && setPreviewFailure(messageOf(failure)));
    return () => {
      current = false;
    };
  }, [settledAsk]);

  function choose(item: Item, offer: Offer) {
    setTarget(item.kind === "Bundle" ? "bundle" : "resource");
    setKey(item.key);
    setChosen(offer);
    setPermissions(offer.permissions[0] ?? "read");
    setMinutes(String(offer.defaultDurationMinutes));
    document.getElementById("request-form")?.scrollIntoView({ block: "start" });
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    await run(async () => {
      if (target === "resource") {
        const answer = await request(RequestAccessDoc, { request: { resource: key.trim(), ...asked } });
        setMade([answer.requestAccess]);
      } else {
        const answer = await request(RequestBundle, { request: { bundle: key.trim(), ...asked } });
        setMade(answer.requestBundle);
      }
    });
  }

  const maxMinutes = chosen?.maxDurationMinutes;
  return (
    <main>
      <h1>Request access</h1>
      <label>
        Search what you may request
        <input type="search" name="search" maxLength={200} value={search} placeholder="e.g. orders"
          onChange={(e) => setSearch(e.target.value)} />
      </label>
      {settledSearch ? (
        <SearchResults search={settledSearch} choose={choose} />
      ) : (
        <p className="muted">Type a name, a key or part of one to see what you may request and through which flows.</p>
      )}

      <form id="request-form" onSubmit={submit} aria-label="Request access" className="form">
        <fieldset>
          <legend>What</legend>
          <label className="inline">
            <input type="radio" name="target" checked={target === "resource"}
              onChange={() => setTarget("resource")} /> A resource
          </label>
          <label className="inline">
            <input type="radio" name="target" checked={target === "bundle"}
              onChange={() => setTarget("bundle")} /> A bundle
          </label>
          <label>
            {target === "resource" ? "Resource (e.g. pg-prod/orders)" : "Bundle key"}
            <input name="key" required maxLength={512} value={key}
              onChange={(e) => { setKey(e.target.value); setChosen(null); }} />
          </label>
          {chosen && (
            <p className="muted">
              Through flow <strong>{chosen.name}</strong>: {chosen.permissions.join(", ")}, at most {chosen.maxDurationMinutes} min
              {chosen.justificationRequired ? ", with a justification" : ""}.
            </p>
          )}
        </fieldset>
        <label>
          Permissions (comma-separated)
          {chosen && chosen.permissions.length > 1 ? (
            <select name="permissions" value={permissions} onChange={(e) => setPermissions(e.target.value)}>
              {chosen.permissions.map((p) => <option key={p} value={p}>{p}</option>)}
            </select>
          ) : (
            <input name="permissions" required value={permissions} onChange={(e) => setPermissions(e.target.value)} />
          )}
        </label>
        <label>
          Duration in minutes (empty: the flow's default{maxMinutes ? `; at most ${maxMinutes}` : ""})
          <input name="duration" type="number" min={1} max={maxMinutes} value={minutes}
            onChange={(e) => setMinutes(e.target.value)} />
        </label>
        <label>
          Justification{chosen?.justificationRequired ? " (required by this flow)" : ""}
          <textarea name="justification" maxLength={2000} value={justification}
            required={Boolean(chosen?.justificationRequired)}
            onChange={(e) => setJustification(e.target.value)} />
        </label>
        <label>
          For whom (empty: yourself)
          <input name="beneficiary" type="email" value={beneficiary} onChange={(e) => setBeneficiary(e.target.value)} />
        </label>
        <div role="status" aria-label="Preview of the decision">
          {!error && <PreviewNote preview={preview} failure={previewFailure} />}
        </div>
        <ErrorNote message={error} />
        <button type="submit" disabled={busy}>{busy ? "Requesting…" : "Request"}</button>
      </form>
      {made.length > 0 && (
        <section aria-label="Requested" role="status">
          <h2>Requested</h2>
          <ul>
            {made.map((r) => (
              <li key={r.id}>
                <Link to={`/requests/${encodeURIComponent(r.id)}`}>{r.resource}</Link>:{" "}
                <span className={`state state-${r.state}`}>{r.state}</span> (flow {r.flow})
              </li>
            ))}
          </ul>
        </section>
      )}
    </main>
  );
}
