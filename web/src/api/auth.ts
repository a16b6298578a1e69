// The /auth/* routes: sessions, sign-in, password reset. Only JSON, same origin.
import { ApiError } from "./errors";

export type Role = "admin" | "grantee" | "auditor" | string;

export interface SessionUser {
  email: string;
  name: string;
  role: Role;
}

export interface Session {
  user: SessionUser;
  csrfToken: string;
}

export interface SignInMethods {
  password: boolean;
  sso: boolean;
}

/** One JSON call to an /auth route; a refusal becomes an ApiError with the API's words. */
export async function call<T>(path: string, init?: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      credentials: "same-origin",
      headers: init?.body ? { "content-type": "application/json" } : undefined,
      ...init,
    });
  } catch {
    throw new ApiError("Keyturn cannot be reached: check the connection and try again", "network", 0);
  }
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    const message = typeof body.error === "string" ? body.error : `the server answered ${response.status}`;
    const code = typeof body.code === "string" ? body.code : "error";
    throw new ApiError(message, code, response.status);
  }
  return body as T;
}

export function post<T>(path: string, body: unknown, csrfToken?: string): Promise<T> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (csrfToken) headers["x-csrf-token"] = csrfToken;
  return call<T>(path, { method: "POST", headers, body: JSON.stringify(body) });
}

/** The signed-in person and the CSRF token, or null when nobody is signed in. */
export async function currentSession(): Promise<Session | null> {
  try {
    return await call<Session>("/auth/session");
  } catch (failure) {
    if (failure instanceof ApiError && failure.status === 401) return null;
    throw failure;
  }
}

/** A session, or `{mfa_required: true}` when a second factor must finish the sign-in. */
export function signIn(email: string, password: string): Promise<Session | { mfa_required: true }> {
  return post("/auth/login", { email, password });
}

/** The second factor's code (TOTP or a recovery code) for the sign-in waiting for it. */
export function verifySecondFactor(code: string): Promise<Session> {
  return post<Session>("/auth/mfa/verify", { code });
}

export function signOut(csrfToken: string): Promise<unknown> {
  return post("/auth/logout", {}, csrfToken);
}

export function signInMethods(): Promise<SignInMethods> {
  return call<SignInMethods>("/auth/methods");
}

export function forgotPassword(email: string): Promise<{ message: string }> {
  return post("/auth/password/forgot", { email });
}

export function resetPassword(token: string, password: string): Promise<{ message: string }> {
  return post("/auth/password/reset", { token, password });
}

export interface MfaEnrolment {
  secret: string;
  otpauthUri: string;
}

/** A new TOTP secret for the signed-in person, on until a first code confirms it. */
export function enrolMfa(csrfToken: string): Promise<MfaEnrolment> {
  return post("/auth/mfa/enrol", {}, csrfToken);
}

/** Turn MFA on with a first code: the ten single-use recovery codes, shown only now. */
export function confirmMfa(code: string, csrfToken: string): Promise<{ recoveryCodes: string[] }> {
  return post("/auth/mfa/confirm", { code }, csrfToken);
}

export function disableMfa(code: string, csrfToken: string): Promise<unknown> {
  return post("/auth/mfa/disable", { code }, csrfToken);
}
