// The access-link routes (/auth/link/*) for an external person: no /graphql, no portal
// session. Their own cookie (path /auth/link) carries the link session.
import { call, post } from "./auth";

export interface LinkOffer {
  link: string; // the link's id (not its token): tells the link opened from a session's link
  flow: string;
  resources: { key: string; name: string }[];
  permissions: string[];
  maxDurationMinutes: number;
  defaultDurationMinutes: number | null;
  justificationRequired: boolean;
  expiresAt: number | null;
  allowedEmailDomains: string[];
}

export interface LinkPerson {
  email: string;
  name: string;
}

export interface LinkSession {
  external: LinkPerson;
  offer: LinkOffer;
}

export interface LinkRequest {
  id: string;
  resource: string;
  permissions: string[];
  durationMinutes: number | null;
  justification: string;
  state: string;
  createdAt: number | null;
  decidedAt: number | null;
  grantedAt: number | null;
  expiresAt: number | null;
  reason: string | null;
}

export interface LinkAsk {
  resource: string;
  permissions: string[];
  durationMinutes: number;
  justification: string;
}

export async function openLink(token: string): Promise<LinkOffer> {
  return (await post<{ offer: LinkOffer }>("/auth/link/open", { token })).offer;
}

export async function sendCode(token: string, email: string, name: string): Promise<string> {
  return (await post<{ message: string }>("/auth/link/code", { token, email, name })).message;
}

export function verifyCode(token: string, email: string, code: string): Promise<LinkSession> {
  return post<LinkSession>("/auth/link/verify", { token, email, code });
}

export function linkSession(): Promise<LinkSession> {
  return call<LinkSession>("/auth/link/session");
}

export async function askThroughLink(ask: LinkAsk): Promise<LinkRequest> {
  return (await post<{ request: LinkRequest }>("/auth/link/requests", ask)).request;
}

export async function myLinkRequests(): Promise<LinkRequest[]> {
  return (await call<{ requests: LinkRequest[] }>("/auth/link/requests")).requests;
}

export async function linkAccessDetails(id: string): Promise<Record<string, string>> {
  const path = `/auth/link/requests/${encodeURIComponent(id)}/access`;
  return (await call<{ details: Record<string, string> }>(path)).details;
}

export function leaveLink(): Promise<unknown> {
  return post("/auth/link/logout", {});
}
