// Who is signed in, for every page: loaded once from /auth/session; a signed-out person is
// sent to /signin with `next` set to where they were going, and comes back after.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { Navigate, useLocation } from "react-router";
import * as auth from "./api/auth";
import { useCsrfToken } from "./api/graphql";
import { Loading, ErrorNote } from "./ui";
import { messageOf } from "./api/errors";

interface SessionState {
  user: auth.SessionUser | null;
  csrfToken: string;
  /** Set after a successful sign-in. */
  started(session: auth.Session): void;
  /** The API said the session is gone: forget it (the guard then sends to sign-in). */
  lost(): void;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionState | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<auth.Session | null | undefined>(undefined);
  const [failure, setFailure] = useState<string | null>(null);

  useEffect(() => {
    auth
      .currentSession()
      .then((found) => {
        if (found) useCsrfToken(found.csrfToken);
        setSession(found);
      })
      .catch((error: unknown) => setFailure(messageOf(error)));
  }, []);

  const started = useCallback((next: auth.Session) => {
    useCsrfToken(next.csrfToken);
    setSession(next);
  }, []);
  const lost = useCallback(() => setSession(null), []);
  const signOut = useCallback(async () => {
    if (session) await auth.signOut(session.csrfToken).catch(() => undefined);
    useCsrfToken("");
    setSession(null);
  }, [session]);

  if (failure) return <ErrorNote message={failure} />;
  if (session === undefined) return <Loading what="your session" />;
  const value: SessionState = {
    user: session?.user ?? null,
    csrfToken: session?.csrfToken ?? "",
    started,
    lost,
    signOut,
  };
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const found = useContext(SessionContext);
  if (!found) throw new Error("useSession outside SessionProvider");
  return found;
}

/** The signed-in user; the pages under RequireSignIn only render with one. */
export function useUser(): auth.SessionUser {
  const { user } = useSession();
  if (!user) throw new Error("useUser outside RequireSignIn");
  return user;
}

export function RequireSignIn({ children }: { children: ReactNode }) {
  const { user } = useSession();
  const location = useLocation();
  if (!user) {
    const next = location.pathname + location.search;
    return <Navigate to={`/signin?next=${encodeURIComponent(next)}`} replace />;
  }
  return <>{children}</>;
}

/** Only a same-site path: `next` comes from the address bar, so never an absolute URL. */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/signin")) return "/";
  return next;
}
