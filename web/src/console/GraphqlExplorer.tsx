// The GraphQL explorer (GraphiQL) for admins and auditors, bundled into the app so an offline
// install has it too (the CDN copy /graphql used to load never arrives there). App.tsx loads
// this module lazily: GraphiQL and its editor are several times the portal's size, and only
// the people who open this page should download them.
import { useMemo, type ComponentProps } from "react";
import { buildSchema } from "graphql";
import { GraphiQL } from "graphiql";
import "graphiql/style.css";
// Monaco's language workers, built by Vite as same-origin files (the CSP allows no other).
import "graphiql/setup-workers/vite";
import { useSession } from "../session";
// The schema the API exports (a test keeps it equal to the live one), the same file the app's
// types come from: GraphiQL's own introspection query nests deeper than the API allows.
import schemaSdl from "../../../schema.graphql?raw";

const SCHEMA = buildSchema(schemaSdl);

type Fetcher = ComponentProps<typeof GraphiQL>["fetcher"];

const START = "# Ask Keyturn's GraphQL API, as yourself: you see what your role may see.\n{\n  me {\n    email\n  }\n}\n";

/** Posts like every other call of the app: the session cookie and its CSRF token. */
function sessionFetcher(csrfToken: string): Fetcher {
  return async (params) => {
    const response = await fetch("/graphql", {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": csrfToken },
      body: JSON.stringify(params),
    });
    // GraphiQL shows the body, errors included, as the API gave it.
    return response.json();
  };
}

export default function GraphqlExplorerPage() {
  const { csrfToken } = useSession();
  const fetcher = useMemo(() => sessionFetcher(csrfToken), [csrfToken]);
  return (
    <main className="wide" aria-label="GraphQL explorer">
      <h1>GraphQL explorer</h1>
      {/* GraphiQL fills its parent; a style prop is set through the CSSOM, which the CSP allows. */}
      <div style={{ height: "75vh" }}>
        <GraphiQL fetcher={fetcher} schema={SCHEMA} initialQuery={START} />
      </div>
    </main>
  );
}
