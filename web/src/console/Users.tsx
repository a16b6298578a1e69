// Users: search and filter, invite, change role, disable/enable, delete; each person's
// source, groups and manager as the directory synced them.
import { useState, type FormEvent } from "react";
import { request } from "../api/graphql";
import { DeleteUser, DisableUser, EnableUser, InviteUser, SetUserRole, Users as UsersDoc } from "../api/console";
import type { UsersQuery } from "../gql/graphql";
import { Empty, ErrorNote, Loading, useAction, useLoad, when } from "../ui";

type Person = UsersQuery["users"]["users"][number];
const ROLES = ["grantee", "admin", "auditor"];

function Invite({ invited }: { invited: () => void }) {
  const [email, setEmail] = useState("");
  const [fullName, setFullName] = useState("");
  const [role, setRole] = useState("grantee");
  const [done, setDone] = useState("");
  const { busy, error, run } = useAction();
  async function submit(event: FormEvent) {
    event.preventDefault();
    const ok = await run(() => request(InviteUser, { input: { email: email.trim(), fullName, role } }));
    if (ok) {
      setDone(`Invitation sent to ${email.trim()}.`);
      setEmail("");
      setFullName("");
      invited();
    }
  }
  return (
    <form onSubmit={submit} aria-label="Invite a person" className="inline-form wrap">
      <label>Email<input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} /></label>
      <label>Full name<input required value={fullName} onChange={(e) => setFullName(e.target.value)} /></label>
      <label>
        Role
        <select value={role} onChange={(e) => setRole(e.target.value)}>
          {ROLES.map((r) => <option key={r}>{r}</option>)}
        </select>
      </label>
      <button type="submit" disabled={busy}>Invite</button>
      <ErrorNote message={error} />
      {done && <p className="muted">{done}</p>}
    </form>
  );
}

function Row({ person, changed }: { person: Person; changed: () => void }) {
  const { busy, error, run } = useAction();
  const act = (action: () => Promise<unknown>) => void run(action).then((ok) => ok && changed());
  return (
    <tr>
      <th scope="row">{person.email}</th>
      <td>{person.fullName}</td>
      <td>
        <select aria-label={`Role of ${person.email}`} value={person.role} disabled={busy}
          onChange={(e) => act(() => request(SetUserRole, { user: person.email, role: e.target.value }))}>
          {ROLES.map((r) => <option key={r}>{r}</option>)}
        </select>
      </td>
      <td>{person.status}</td>
      <td>{person.source}</td>
      <td>{person.groups.join(", ") || "—"}</td>
      <td>{person.manager ?? "—"}</td>
      <td>{when(person.lastSignInAt)}</td>
      <td>
        {person.status === "DISABLED" ? (
          <button type="button" className="secondary" disabled={busy}
            onClick={() => act(() => request(EnableUser, { email: person.email }))}>Enable</button>
        ) : (
          <button type="button" className="secondary" disabled={busy}
            onClick={() => act(() => request(DisableUser, { user: person.email, reason: "disabled in the console" }))}>
            Disable
          </button>
        )}{" "}
        <button type="button" className="danger" disabled={busy}
          onClick={() => window.confirm(`Delete ${person.email}? Their grants are revoked.`) &&
            act(() => request(DeleteUser, { email: person.email }))}>
          Delete
        </button>
        <ErrorNote message={error} />
      </td>
    </tr>
  );
}

export function UsersPage() {
  const [search, setSearch] = useState("");
  const [role, setRole] = useState("");
  const [status, setStatus] = useState("");
  const [after, setAfter] = useState<string[]>([]);
  const cursor = after.length ? after[after.length - 1] : null;
  const { data, error, reload } = useLoad(
    async () => (await request(UsersDoc, { first: 50, after: cursor, search, role: role || null, status: status || null, source: null })).users,
    [search, role, status, cursor],
  );
  return (
    <main className="wide">
      <h1>Users</h1>
      <Invite invited={reload} />
      <div className="inline-form wrap" role="search">
        <label>Search<input type="search" value={search} onChange={(e) => { setSearch(e.target.value); setAfter([]); }} /></label>
        <label>
          Role filter
          <select value={role} onChange={(e) => { setRole(e.target.value); setAfter([]); }}>
            <option value="">any</option>
            {ROLES.map((r) => <option key={r}>{r}</option>)}
          </select>
        </label>
        <label>
          Status filter
          <select value={status} onChange={(e) => { setStatus(e.target.value); setAfter([]); }}>
            <option value="">any</option>
            {["INVITED", "ACTIVE", "DISABLED"].map((s) => <option key={s}>{s}</option>)}
          </select>
        </label>
      </div>
      <ErrorNote message={error} />
      {data === undefined ? (
        !error && <Loading what="users" />
      ) : data.users.length === 0 ? (
        <Empty>No user matches.</Empty>
      ) : (
        <table>
          <caption>People, by email</caption>
          <thead>
            <tr>
              {["Email", "Name", "Role", "Status", "Source", "Groups", "Manager", "Last sign-in", "Actions"].map((h) => (
                <th key={h} scope="col">{h}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {data.users.map((person) => <Row key={person.email} person={person} changed={reload} />)}
          </tbody>
        </table>
      )}
      <p>
        {after.length > 0 && <button type="button" className="secondary" onClick={() => setAfter(after.slice(0, -1))}>Previous</button>}{" "}
        {data?.hasNextPage && data.endCursor && (
          <button type="button" className="secondary" onClick={() => setAfter([...after, data.endCursor as string])}>Next</button>
        )}
      </p>
    </main>
  );
}
