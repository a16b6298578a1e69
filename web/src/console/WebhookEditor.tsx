// Changing a stored webhook: its name, URL, events, and whether it is paused. The API never
// shows a stored URL (its path may be a secret itself): the field starts empty, and left
// empty the stored URL is kept; everything else starts from what is stored.
import { useState, type FormEvent } from "react";
import { request } from "../api/graphql";
import { SaveWebhook } from "../api/console";
import type { WebhooksQuery } from "../gql/graphql";
import { ErrorNote, useAction } from "../ui";

export type StoredWebhook = WebhooksQuery["webhooks"][number];

// The notice kinds a webhook may get (invitations, resets and link codes are mailed only).
export const EVENTS = [
  "RequestCreated", "Approved", "Rejected", "Granted", "Failed", "Revoked", "Expired",
  "Extended", "ExpiringSoon", "TimedOut", "Cancelled", "TaskOpened",
];

export function EventsPicker({ chosen, change }: { chosen: string[]; change: (events: string[]) => void }) {
  function toggle(kind: string) {
    change(chosen.includes(kind) ? chosen.filter((k) => k !== kind) : [...chosen, kind]);
  }
  return (
    <fieldset>
      <legend>Events</legend>
      {EVENTS.map((kind) => (
        <label key={kind}>
          <input type="checkbox" checked={chosen.includes(kind)} onChange={() => toggle(kind)} /> {kind}
        </label>
      ))}
    </fieldset>
  );
}

export function WebhookEditor({ webhook, saved, cancel }: {
  webhook: StoredWebhook; saved: (name: string) => void; cancel: () => void;
}) {
  const [name, setName] = useState(webhook.name);
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<string[]>(webhook.events);
  const [enabled, setEnabled] = useState(webhook.enabled);
  const saving = useAction();
  const title = `Edit ${webhook.name}`;

  async function submit(event: FormEvent) {
    event.preventDefault();
    await saving.run(async () => {
      await request(SaveWebhook, { key: webhook.key, name, url: url.trim() || null, events, enabled });
      saved(name);
    });
  }

  return (
    <form onSubmit={submit} aria-label={title} className="card">
      <h2>{title}</h2>
      <p className="muted">
        Keyturn never shows a webhook&apos;s stored URL, whose path may be a secret: leave the URL empty to keep it
        (it points at <code>{webhook.target}</code>), or type a new one. Its signing secret stays the same.
      </p>
      <div className="inline-form wrap">
        <label>Name<input required value={name} onChange={(e) => setName(e.target.value)} /></label>
        <label>New URL (optional)<input type="url" value={url} placeholder={`${webhook.target}/…`} onChange={(e) => setUrl(e.target.value)} /></label>
        <label><input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Enabled (paused when unticked)</label>
      </div>
      <EventsPicker chosen={events} change={setEvents} />
      <ErrorNote message={saving.error} />
      <div>
        <button type="submit" disabled={saving.busy}>Save changes</button>{" "}
        <button type="button" className="secondary" onClick={cancel}>Cancel</button>
      </div>
    </form>
  );
}
