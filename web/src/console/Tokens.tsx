// API tokens: issue one (shown once, never again), list them with their last use, revoke.
import { useState, type FormEvent } from "react";
import { request } from "../api/graphql";
import { IssueToken, RevokeToken, Tokens } from "../api/console";
import type { TokenScope } from "../gql/graphql";
import { Empty, ErrorNote, Loading, useAction, useLoad, when } from "../ui";

export function TokensPage() {
  const [owner, setOwner] = useState("");
  const [name, setName] = useState("");
  const [scope, setScope] = useState<TokenScope>("FULL");
  const [days, setDays] = useState("90");
  const [shown, setShown] = useState<string | null>(null);
  const listed = owner.trim() || null;
  const { data, error, reload } = useLoad(async () => (await request(Tokens, { owner: listed })).apiTokens, [listed]);
  const issuing = useAction();
  const revoking = useAction();

  async function submit(event: FormEvent) {
    event.preventDefault();
    await issuing.run(async () => {
      const answer = await request(IssueToken, { name, owner: listed, scope, days: Number(days) });
      setShown(answer.issueToken.token);
      setName("");
      reload();
    });
  }

  return (
    <main className="wide">
      <h1>API tokens</h1>
      <form onSubmit={submit} aria-label="Issue a token" className="inline-form wrap">
        <label>Owner (empty: you)<input type="email" value={owner} onChange={(e) => setOwner(e.target.value)} /></label>
        <label>Token name<input required value={name} onChange={(e) => setName(e.target.value)} /></label>
        <label>
          Scope
          <select value={scope} onChange={(e) => setScope(e.target.value as TokenScope)}>
            <option value="FULL">full</option>
            <option value="READ">read only</option>
            <option value="SCIM">SCIM (identity provider sync)</option>
          </select>
        </label>
        <label>Expires in days<input type="number" min={1} value={days} onChange={(e) => setDays(e.target.value)} /></label>
        <button type="submit" disabled={issuing.busy}>Issue token</button>
        <ErrorNote message={issuing.error} />
      </form>
      {shown && (
        <section aria-label="New token" className="card">
          <p><strong>Copy this token now: it is shown only once.</strong></p>
          <code className="secret">{shown}</code>{" "}
          <button type="button" className="secondary" onClick={() => setShown(null)}>Done</button>
        </section>
      )}
      <ErrorNote message={error ?? revoking.error} />
      {data === undefined ? (
        !error && <Loading what="tokens" />
      ) : data.length === 0 ? (
        <Empty>No token.</Empty>
      ) : (
        <table>
          <caption>Tokens of {listed ?? "yours"}</caption>
          <thead><tr>{["Name", "Owner", "Scope", "Created", "Expires", "Last used", "State"].map((h) => <th key={h} scope="col">{h}</th>)}</tr></thead>
          <tbody>
            {data.map((t) => (
              <tr key={t.key}>
                <th scope="row">{t.name}</th>
                <td>{t.owner}</td>
                <td>{t.scope}</td>
                <td>{when(t.createdAt)}</td>
                <td>{when(t.expiresAt)}</td>
                <td>{when(t.lastUsedAt)}</td>
                <td>
                  {t.revoked ? "revoked" : (
                    <button type="button" className="danger" disabled={revoking.busy} aria-label={`Revoke ${t.name}`}
                      onClick={() => void revoking.run(() => request(RevokeToken, { key: t.key })).then((ok) => ok && reload())}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
