// The one way the app calls /graphql: typed by the generated documents, with the session's
// CSRF token on every POST (a cookie-authenticated call without it is refused).
import type { TypedDocumentString } from "../gql/graphql";
import { ApiError, SignedOutError } from "./errors";

let csrfToken = "";

export function useCsrfToken(token: string): void {
  csrfToken = token;
}

interface GraphQLErrorBody {
  message: string;
  extensions?: { code?: string };
}

export async function request<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  ...[variables]: TVariables extends Record<string, never> ? [] : [TVariables]
): Promise<TResult> {
  let response: Response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": csrfToken },
      body: JSON.stringify({ query: document.toString(), variables: variables ?? {} }),
    });
  } catch {
    throw new ApiError("Keyturn cannot be reached: check the connection and try again", "network", 0);
  }
  const body = (await response.json().catch(() => null)) as {
    data?: TResult | null;
    errors?: GraphQLErrorBody[];
  } | null;
  const first = body?.errors?.[0];
  if (response.status === 401) throw new SignedOutError(first?.message ?? "your session ended: sign in again");
  if (first) throw new ApiError(first.message, first.extensions?.code ?? "error", response.status);
  if (!response.ok || !body?.data) {
    throw new ApiError(`the server answered ${response.status}: try again`, "error", response.status);
  }
  return body.data;
}
