// Two-factor sign-in for the signed-in person: add an authenticator app (its secret and
// otpauth address shown as text, no QR library), confirm with a first code, keep the ten
// recovery codes shown this once; or turn it off with a current code.
import { useState, type FormEvent } from "react";
import * as auth from "../api/auth";
import { useSession } from "../session";
import { ErrorNote, useAction } from "../ui";

export function SecurityPage() {
  const { csrfToken } = useSession();
  const [enrolment, setEnrolment] = useState<auth.MfaEnrolment | null>(null);
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  const [code, setCode] = useState("");
  const [offCode, setOffCode] = useState("");
  const [turnedOff, setTurnedOff] = useState(false);
  const start = useAction();
  const confirm = useAction();
  const disable = useAction();

  async function submitConfirm(event: FormEvent) {
    event.preventDefault();
    await confirm.run(async () => {
      setRecoveryCodes((await auth.confirmMfa(code.trim(), csrfToken)).recoveryCodes);
      setEnrolment(null);
      setCode("");
    });
  }

  async function submitDisable(event: FormEvent) {
    event.preventDefault();
    setTurnedOff(false);
    const ok = await disable.run(() => auth.disableMfa(offCode.trim(), csrfToken));
    if (ok) {
      setTurnedOff(true);
      setOffCode("");
      setRecoveryCodes(null);
    }
  }

  return (
    <main>
      <h1>Security</h1>
      <section aria-labelledby="mfa-on">
        <h2 id="mfa-on">Two-factor sign-in</h2>
        <p>With an authenticator app, signing in asks for its code after your password.</p>
        {recoveryCodes ? (
          <div role="region" aria-label="Recovery codes">
            <p role="status">Two-factor sign-in is on.</p>
            <p>Keep these recovery codes somewhere safe: each works once instead of a code, and they are shown only now.</p>
            <ul className="offers">
              {recoveryCodes.map((c) => <li key={c}><code>{c}</code></li>)}
            </ul>
          </div>
        ) : enrolment ? (
          <form onSubmit={submitConfirm} aria-label="Confirm the authenticator app">
            <p>Add this account to your authenticator app by its secret, or open the otpauth address on the phone:</p>
            <dl className="facts">
              <dt>Secret</dt>
              <dd><code className="secret" aria-label="Secret">{enrolment.secret}</code></dd>
              <dt>otpauth address</dt>
              <dd><a className="secret" href={enrolment.otpauthUri}>{enrolment.otpauthUri}</a></dd>
            </dl>
            <label>
              Code from the app
              <input name="code" autoComplete="one-time-code" inputMode="numeric" required value={code}
                onChange={(e) => setCode(e.target.value)} />
            </label>
            <ErrorNote message={confirm.error} />
            <button type="submit" disabled={confirm.busy}>Turn on two-factor sign-in</button>
          </form>
        ) : (
          <>
            <button type="button" disabled={start.busy}
              onClick={() => start.run(async () => setEnrolment(await auth.enrolMfa(csrfToken)))}>
              Add an authenticator app
            </button>
            <ErrorNote message={start.error} />
          </>
        )}
      </section>
      <section aria-labelledby="mfa-off">
        <h2 id="mfa-off">Turn two-factor sign-in off</h2>
        <form onSubmit={submitDisable} className="inline-form" aria-label="Turn two-factor sign-in off">
          <label>
            Current code or a recovery code
            <input name="off-code" autoComplete="one-time-code" required value={offCode}
              onChange={(e) => setOffCode(e.target.value)} />
          </label>
          <button type="submit" className="danger" disabled={disable.busy}>Turn off</button>
        </form>
        <ErrorNote message={disable.error} />
        {turnedOff && <p role="status">Two-factor sign-in is off.</p>}
      </section>
    </main>
  );
}
