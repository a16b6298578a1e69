import { lazy, Suspense, useEffect } from "react";
import { BrowserRouter, Link, NavLink, Navigate, Route, Routes, useNavigate } from "react-router";
import { RequireSignIn, safeNext, useSession, useUser, SessionProvider } from "./session";
import { Loading } from "./ui";
import { SignIn, SSO_NEXT_KEY } from "./pages/SignIn";
import { Forgot, Reset } from "./pages/Password";
import { RequestAccess } from "./pages/RequestAccess";
import { Approvals, MyAccess, MyRequests } from "./pages/Portal";
import { RequestPage } from "./pages/RequestPage";
import { TasksPage } from "./pages/Tasks";
import { allowed, ConsoleOnly, type Audience } from "./console/Guard";
import { UsersPage } from "./console/Users";
import { FlowsPage } from "./console/Flows";
import { BundlesPage, ForbidRulesPage } from "./console/Rules";
import { TokensPage } from "./console/Tokens";
import { WebhooksPage } from "./console/Webhooks";
import { ActivityPage } from "./console/Activity";
import { ExplorerPage } from "./console/Explorer";
import { DashboardPage } from "./console/Dashboard";
import { AccessLinkPage } from "./link/AccessLink";
import { SecurityPage } from "./pages/Security";
import { IntegrationsPage } from "./console/Integrations";

// Lazy: GraphiQL and its editor stay out of the portal's bundle.
const GraphqlExplorerPage = lazy(() => import("./console/GraphqlExplorer"));

function Shell({ children }: { children: React.ReactNode }) {
  const user = useUser();
  const { signOut } = useSession();
  return (
    <>
      <a className="skip" href="#content">Skip to content</a>
      <header>
        <Link to="/" className="brand">Keyturn</Link>
        <nav aria-label="Portal">
          <NavLink to="/request">Request access</NavLink>
          <NavLink to="/requests" end>My requests</NavLink>
          <NavLink to="/access">My access</NavLink>
          <NavLink to="/approvals">Approvals</NavLink>
          <NavLink to="/tasks">Tasks</NavLink>
          <NavLink to="/security">Security</NavLink>
        </nav>
        {allowed(user.role, "auditors") && (
          <nav aria-label="Console">
            {user.role === "admin" && (
              <>
                <NavLink to="/console" end>Dashboard</NavLink>
                <NavLink to="/console/users">Users</NavLink>
                <NavLink to="/console/flows">Flows</NavLink>
                <NavLink to="/console/integrations">Integrations</NavLink>
                <NavLink to="/console/bundles">Bundles</NavLink>
                <NavLink to="/console/forbid-rules">Forbid rules</NavLink>
                <NavLink to="/console/tokens">API tokens</NavLink>
                <NavLink to="/console/webhooks">Webhooks</NavLink>
              </>
            )}
            <NavLink to="/audit/log">Activity log</NavLink>
            <NavLink to="/audit/graph">Access graph</NavLink>
            <NavLink to="/console/graphql" reloadDocument>GraphQL explorer</NavLink>
          </nav>
        )}
        <span className="who">{user.name || user.email} ({user.role})</span>
        <button type="button" className="secondary" onClick={() => void signOut()}>Sign out</button>
      </header>
      <div id="content">{children}</div>
    </>
  );
}

/** `/` after single sign-on returns to where the person was going; else to their access. */
function Home() {
  const navigate = useNavigate();
  useEffect(() => {
    const next = sessionStorage.getItem(SSO_NEXT_KEY);
    sessionStorage.removeItem(SSO_NEXT_KEY);
    navigate(next ? safeNext(next) : "/access", { replace: true });
  }, [navigate]);
  return null;
}

function signedIn(page: React.ReactNode) {
  return (
    <RequireSignIn>
      <Shell>{page}</Shell>
    </RequireSignIn>
  );
}

function consolePage(audience: Audience, page: React.ReactNode) {
  return signedIn(<ConsoleOnly audience={audience}>{page}</ConsoleOnly>);
}

function NotFound() {
  return (
    <main>
      <h1>Page not found</h1>
      <p>There is no page here. <Link to="/">Go to the portal</Link>.</p>
    </main>
  );
}

export function App() {
  return (
    <BrowserRouter>
      <SessionProvider>
        <Routes>
          <Route path="/signin" element={<SignIn />} />
          <Route path="/forgot" element={<Forgot />} />
          <Route path="/reset/:token" element={<Reset />} />
          <Route path="/l/:token" element={<AccessLinkPage />} />
          <Route path="/" element={signedIn(<Home />)} />
          <Route path="/request" element={signedIn(<RequestAccess />)} />
          <Route path="/requests" element={signedIn(<MyRequests />)} />
          <Route path="/requests/:id" element={signedIn(<RequestPage />)} />
          <Route path="/access" element={signedIn(<MyAccess />)} />
          <Route path="/approvals" element={signedIn(<Approvals />)} />
          <Route path="/tasks" element={signedIn(<TasksPage />)} />
          <Route path="/security" element={signedIn(<SecurityPage />)} />
          <Route path="/console" element={consolePage("admins", <DashboardPage />)} />
          <Route path="/console/users" element={consolePage("admins", <UsersPage />)} />
          <Route path="/console/flows" element={consolePage("admins", <FlowsPage />)} />
          <Route path="/console/integrations" element={consolePage("admins", <IntegrationsPage />)} />
          <Route path="/console/bundles" element={consolePage("admins", <BundlesPage />)} />
          <Route path="/console/forbid-rules" element={consolePage("admins", <ForbidRulesPage />)} />
          <Route path="/console/tokens" element={consolePage("admins", <TokensPage />)} />
          <Route path="/console/webhooks" element={consolePage("admins", <WebhooksPage />)} />
          <Route path="/audit/log" element={consolePage("auditors", <ActivityPage />)} />
          <Route path="/audit/graph" element={consolePage("auditors", <ExplorerPage />)} />
          <Route path="/console/graphql" element={consolePage("auditors",
            <Suspense fallback={<Loading what="the GraphQL explorer" />}><GraphqlExplorerPage /></Suspense>)} />
          <Route path="/index.html" element={<Navigate to="/" replace />} />
          <Route path="*" element={signedIn(<NotFound />)} />
        </Routes>
      </SessionProvider>
    </BrowserRouter>
  );
}
