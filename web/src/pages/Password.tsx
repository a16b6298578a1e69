// Password reset: ask for a link by email (/forgot), then choose a new password from the
// link the mail carries (/reset/<token>).
import { useState, type FormEvent } from "react";
import { Link, useParams } from "react-router";
import * as auth from "../api/auth";
import { ErrorNote, useAction } from "../ui";

export function Forgot() {
  const [email, setEmail] = useState("");
  const [answer, setAnswer] = useState<string | null>(null);
  const { busy, error, run } = useAction();

  async function submit(event: FormEvent) {
    event.preventDefault();
    await run(async () => setAnswer((await auth.forgotPassword(email)).message));
  }

  return (
    <main className="narrow">
      <h1>Reset your password</h1>
      {answer ? (
        <p role="status">{answer}</p>
      ) : (
        <form onSubmit={submit} aria-label="Ask for a reset link">
          <label>
            Email
            <input type="email" autoComplete="username" required value={email}
              onChange={(e) => setEmail(e.target.value)} />
          </label>
          <ErrorNote message={error} />
          <button type="submit" disabled={busy}>Mail me a link</button>
        </form>
      )}
      <p><Link to="/signin">Back to sign-in</Link></p>
    </main>
  );
}

export function Reset() {
  const { token = "" } = useParams();
  const [password, setPassword] = useState("");
  const [again, setAgain] = useState("");
  const [answer, setAnswer] = useState<string | null>(null);
  const { busy, error, run, setError } = useAction();

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (password !== again) {
      setError("the two passwords differ: type the same one twice");
      return;
    }
    await run(async () => setAnswer((await auth.resetPassword(token, password)).message));
  }

  return (
    <main className="narrow">
      <h1>Choose a new password</h1>
      {answer ? (
        <p role="status">
          {answer}. <Link to="/signin">Sign in</Link>
        </p>
      ) : (
        <form onSubmit={submit} aria-label="Choose a new password">
          <label>
            New password (at least 12 characters)
            <input type="password" autoComplete="new-password" minLength={12} maxLength={256}
              required value={password} onChange={(e) => setPassword(e.target.value)} />
          </label>
          <label>
            The same again
            <input type="password" autoComplete="new-password" required value={again}
              onChange={(e) => setAgain(e.target.value)} />
          </label>
          <ErrorNote message={error} />
          <button type="submit" disabled={busy}>Set the password</button>
        </form>
      )}
    </main>
  );
}
