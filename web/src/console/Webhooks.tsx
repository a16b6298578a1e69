// Notification webhooks admins keep: add one (its signing secret shown once, never again),
// list them with the host they point at and the events they get; edit, pause, resume or
// delete one.
import { useState, type FormEvent } from "react";
import { request } from "../api/graphql";
import { DeleteWebhook, SaveWebhook, Webhooks } from "../api/console";
import { Empty, ErrorNote, Loading, useAction, useLoad, when } from "../ui";
import { EventsPicker, WebhookEditor, type StoredWebhook } from "./WebhookEditor";

export function WebhooksPage() {
  const [name, setName] = useState("");
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<string[]>(["Granted"]);
  const [shown, setShown] = useState<string | null>(null);
  const { data, error, reload } = useLoad(async () => (await request(Webhooks)).webhooks, []);
  const [editing, setEditing] = useState<StoredWebhook | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const saving = useAction();
  const changing = useAction();

  function edit(webhook: StoredWebhook) {
    setNotice(null);
    setEditing(webhook);
  }

  // One click: the stored URL is kept (no `url` sent), as are the name and events.
  async function setEnabled(webhook: StoredWebhook, enabled: boolean) {
    setNotice(null);
    const done = await changing.run(() =>
      request(SaveWebhook, { key: webhook.key, name: webhook.name, url: null, events: webhook.events, enabled }),
    );
    if (done) {
      setNotice(`${enabled ? "Resumed" : "Paused"} ${webhook.name}.`);
      reload();
    }
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    await saving.run(async () => {
      const answer = await request(SaveWebhook, { key: null, name, url, events, enabled: true });
      setShown(answer.saveWebhook.secret ?? null);
      setName("");
      setUrl("");
      reload();
    });
  }

  return (
    <main className="wide">
      <h1>Webhooks</h1>
      <form onSubmit={submit} aria-label="Add a webhook" className="inline-form wrap">
        <label>Name<input required value={name} onChange={(e) => setName(e.target.value)} /></label>
        <label>URL<input required type="url" value={url} onChange={(e) => setUrl(e.target.value)} /></label>
        <EventsPicker chosen={events} change={setEvents} />
        <button type="submit" disabled={saving.busy}>Add webhook</button>
        <ErrorNote message={saving.error} />
      </form>
      {shown && (
        <section aria-label="Signing secret" className="card">
          <p><strong>Copy this signing secret now: it is shown only once.</strong> Check each delivery's X-Keyturn-Signature with it.</p>
          <code className="secret">{shown}</code>{" "}
          <button type="button" className="secondary" onClick={() => setShown(null)}>Done</button>
        </section>
      )}
      <ErrorNote message={error ?? changing.error} />
      {data === undefined ? (
        !error && <Loading what="webhooks" />
      ) : data.length === 0 ? (
        <Empty>No webhook.</Empty>
      ) : (
        <table>
          <caption>Webhooks</caption>
          <thead><tr>{["Name", "Target", "Events", "Created", "State", ""].map((h, i) => <th key={i} scope="col">{h}</th>)}</tr></thead>
          <tbody>
            {data.map((w) => (
              <tr key={w.key}>
                <th scope="row">{w.name}</th>
                <td>{w.target}</td>
                <td>{w.events.join(", ")}</td>
                <td>{when(w.createdAt)}</td>
                <td>{w.enabled ? "enabled" : "paused"}</td>
                <td>
                  <button type="button" className="secondary" aria-label={`Edit ${w.name}`} onClick={() => edit(w)}>Edit</button>{" "}
                  {w.enabled ? (
                    <button type="button" className="secondary" disabled={changing.busy} aria-label={`Pause ${w.name}`} onClick={() => void setEnabled(w, false)}>Pause</button>
                  ) : (
                    <button type="button" className="secondary" disabled={changing.busy} aria-label={`Resume ${w.name}`} onClick={() => void setEnabled(w, true)}>Resume</button>
                  )}{" "}
                  <button type="button" className="danger" disabled={changing.busy} aria-label={`Delete ${w.name}`}
                    onClick={() => void changing.run(() => request(DeleteWebhook, { key: w.key })).then((ok) => ok && reload())}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {notice && <p role="status">{notice}</p>}
      {editing && (
        <WebhookEditor key={editing.key} webhook={editing}
          cancel={() => setEditing(null)}
          saved={(saved) => { setEditing(null); setNotice(`Saved ${saved}.`); reload(); }} />
      )}
    </main>
  );
}
