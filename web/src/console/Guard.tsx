// Who may open a console page: admins; auditors too for the read-only audit views. Anyone
// else gets a clear page saying so (the API refuses them as well, whatever the page does).
import type { ReactNode } from "react";
import { Link } from "react-router";
import { useUser } from "../session";

export type Audience = "admins" | "auditors";

export function allowed(role: string, audience: Audience): boolean {
  return role === "admin" || (audience === "auditors" && role === "auditor");
}

export function ConsoleOnly({ audience, children }: { audience: Audience; children: ReactNode }) {
  const user = useUser();
  if (allowed(user.role, audience)) return <>{children}</>;
  return (
    <main>
      <h1>{audience === "admins" ? "Admins only" : "Admins and auditors only"}</h1>
      <p role="alert">
        This page is for {audience === "admins" ? "Keyturn admins" : "Keyturn admins and auditors"}; you are signed
        in as {user.email} ({user.role}). Ask an admin if you need it.
      </p>
      <p><Link to="/request">Go to the portal</Link></p>
    </main>
  );
}

/** A comma-separated text field's values. */
export function listOf(text: string): string[] {
  return text.split(",").map((part) => part.trim()).filter(Boolean);
}
