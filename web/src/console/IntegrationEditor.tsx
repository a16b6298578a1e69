// Create or change an integration: its settings as the API takes them (`config`, JSON), and
// the password or signing secret in a field of its own that is only ever written: the API
// never sends it back, and saving with it left empty keeps the stored one.
import { useState, type FormEvent } from "react";
import { request } from "../api/graphql";
import { SaveIntegration } from "../api/console";
import type { IntegrationFieldsFragment } from "../gql/graphql";
import { ErrorNote, useAction } from "../ui";

const TYPES = ["manual", "webhook", "postgresql", "mariadb", "redis"];
// Where each type keeps its secret in `config` (broker.integrations: PASSWORD_SOURCES, webhook).
const SECRET_FIELD: Record<string, string> = {
  webhook: "secret",
  postgresql: "admin_password",
  mariadb: "admin_password",
  redis: "admin_password",
};
const EXAMPLES: Record<string, object> = {
  manual: { fulfillers: ["someone@example.com"] },
  webhook: { url: "https://hooks.example.com/keyturn" },
  postgresql: { host: "db.internal", port: 5432, database: "postgres", admin_user: "keyturn_admin", roles: { read: "pg_read_all_data" }, sync_every_minutes: 0 },
  mariadb: { host: "db.internal", port: 3306, admin_user: "keyturn_admin", roles: { read: "SELECT" } },
  redis: { host: "cache.internal", port: 6379, admin_user: "keyturn_admin", roles: { read: "+@read ~*" } },
};

function settingsText(editing: IntegrationFieldsFragment | null, type: string): string {
  const value = editing ? editing.settings : (EXAMPLES[type] ?? {});
  return JSON.stringify(value ?? {}, null, 2);
}

export function IntegrationEditor(props: { editing: IntegrationFieldsFragment | null; done: (saved: string | null) => void }) {
  const { editing } = props;
  const [key, setKey] = useState(editing?.key ?? "");
  const [name, setName] = useState(editing?.name ?? "");
  const [type, setType] = useState(editing?.type ?? "manual");
  const [tags, setTags] = useState(editing?.tags.join(", ") ?? "");
  const [settings, setSettings] = useState(() => settingsText(editing, editing?.type ?? "manual"));
  const [secret, setSecret] = useState("");
  const { busy, error, run, setError } = useAction();
  const secretField = SECRET_FIELD[type];

  function changeType(next: string) {
    setType(next);
    if (!editing) setSettings(settingsText(null, next));
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    let config: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(settings || "{}");
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error();
      config = parsed as Record<string, unknown>;
    } catch {
      setError("the settings must be a JSON object, e.g. {\"host\": \"db.internal\"}");
      return;
    }
    if (secretField && secret) config = { ...config, [secretField]: secret };
    const tagList = tags.split(",").map((t) => t.trim()).filter(Boolean);
    const ok = await run(() => request(SaveIntegration, { integration: { key: key.trim(), name, type, config, tags: tagList } }));
    if (ok) {
      setSecret("");
      props.done(key.trim());
    }
  }

  return (
    <form onSubmit={submit} aria-label={editing ? `Edit ${editing.key}` : "New integration"} className="card">
      <h2>{editing ? `Edit ${editing.key}` : "New integration"}</h2>
      <label>Key<input required value={key} readOnly={!!editing} onChange={(e) => setKey(e.target.value)} /></label>
      <label>Name<input required value={name} onChange={(e) => setName(e.target.value)} /></label>
      <label>
        Type
        <input list="integration-types" required value={type} onChange={(e) => changeType(e.target.value)} />
        <datalist id="integration-types">{TYPES.map((t) => <option key={t} value={t} />)}</datalist>
      </label>
      <label>Tags (comma separated)<input value={tags} onChange={(e) => setTags(e.target.value)} /></label>
      <label>
        Settings (JSON, no secrets)
        <textarea rows={8} spellCheck={false} value={settings} onChange={(e) => setSettings(e.target.value)} />
      </label>
      {secretField && (
        <label>
          {secretField === "secret" ? "Signing secret" : "Admin password"}{editing ? " (empty: keep the stored one)" : ""}
          <input type="password" autoComplete="new-password" value={secret} onChange={(e) => setSecret(e.target.value)} />
        </label>
      )}
      <ErrorNote message={error} />
      <div className="decision">
        <button type="submit" disabled={busy}>Save integration</button>
        <button type="button" className="secondary" onClick={() => props.done(null)}>Cancel</button>
      </div>
    </form>
  );
}
