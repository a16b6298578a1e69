import { useEffect, useState, type FormEvent } from "react";
import { Link, Navigate, useNavigate, useSearchParams } from "react-router";
import * as auth from "../api/auth";
import { safeNext, useSession } from "../session";
import { ErrorNote, useAction } from "../ui";

// Single sign-on leaves the app; the provider's callback lands on `/`, which picks this up.
export const SSO_NEXT_KEY = "keyturn.next";

export function SignIn() {
  const { user, started } = useSession();
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  const navigate = useNavigate();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [needsCode, setNeedsCode] = useState(false);
  const [methods, setMethods] = useState<auth.SignInMethods | null>(null);
  const { busy, error, run } = useAction();

  useEffect(() => {
    auth.signInMethods().then(setMethods, () => setMethods({ password: true, sso: false }));
  }, []);

  if (user) return <Navigate to={next} replace />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    await run(async () => {
      const answer = needsCode ? await auth.verifySecondFactor(code) : await auth.signIn(email, password);
      if ("mfa_required" in answer) {
        setNeedsCode(true);
        return;
      }
      started(answer);
      navigate(next, { replace: true });
    });
  }

  return (
    <main className="narrow">
      <h1>Sign in to Keyturn</h1>
      <form onSubmit={submit} aria-label="Sign in">
        <label>
          Email
          <input type="email" name="email" autoComplete="username" required value={email}
            onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          Password
          <input type="password" name="password" autoComplete="current-password" required
            value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        {needsCode && (
          <label>
            Code from your authenticator app (or a recovery code)
            <input name="code" autoComplete="one-time-code" inputMode="numeric" required autoFocus
              value={code} onChange={(e) => setCode(e.target.value)} />
          </label>
        )}
        <ErrorNote message={error} />
        <button type="submit" disabled={busy}>{busy ? "Signing in…" : "Sign in"}</button>
      </form>
      {methods?.sso && (
        <p>
          <a className="button secondary" href="/auth/oidc/login"
            onClick={() => sessionStorage.setItem(SSO_NEXT_KEY, next)}>
            Sign in with SSO
          </a>
        </p>
      )}
      <p><Link to="/forgot">Forgot your password?</Link></p>
    </main>
  );
}
