// The external requester's page at /l/<token>: what the link offers, then name and email,
// then the code mailed to that email, then the request form and the status of what they
// asked. Only /auth/link/* is called: an external person has no portal session.
import { useEffect, useState, type FormEvent } from "react";
import { useParams } from "react-router";
import { ApiError, messageOf } from "../api/errors";
import * as link from "../api/link";
import { ErrorNote, Loading, useAction } from "../ui";
import { LinkWorkspace } from "./LinkWorkspace";

type Stage =
  | { kind: "loading" }
  | { kind: "refused"; title: string; message: string }
  | { kind: "identify"; offer: link.LinkOffer }
  | { kind: "code"; offer: link.LinkOffer; email: string; name: string; sent: string }
  | { kind: "signed-in"; session: link.LinkSession };

/** The heading for a link the API will not open; its message says what to do. */
function refusedTitle(failure: unknown): string {
  if (!(failure instanceof ApiError)) return "This access link cannot be opened";
  if (failure.code === "link_expired") return "This access link has expired";
  if (failure.code === "link_used_up") return "This access link is used up";
  if (failure.code === "link_invalid") return "This access link is not valid";
  if (failure.code === "rate_limited") return "Too many attempts";
  return "This access link cannot be opened";
}

export function AccessLinkPage() {
  const { token = "" } = useParams();
  const [stage, setStage] = useState<Stage>({ kind: "loading" });

  useEffect(() => {
    let current = true;
    (async () => {
      const offer = await link.openLink(token);
      const session = await link.linkSession().catch(() => null);
      // A session through another link (say, an older one in this browser) is not this
      // link's: the person proves their email for the link they opened.
      const ours = session !== null && session.offer.link === offer.link;
      if (current) setStage(ours ? { kind: "signed-in", session } : { kind: "identify", offer });
    })().catch((failure: unknown) => {
      if (current) setStage({ kind: "refused", title: refusedTitle(failure), message: messageOf(failure) });
    });
    return () => {
      current = false;
    };
  }, [token]);

  return (
    <>
      <header>
        <span className="brand">Keyturn</span>
        <span className="who">Access link</span>
      </header>
      {stage.kind === "loading" && <main><Loading what="the access link" /></main>}
      {stage.kind === "refused" && (
        <main className="narrow">
          <h1>{stage.title}</h1>
          <p role="alert" className="error">{stage.message}</p>
        </main>
      )}
      {stage.kind === "identify" && (
        <main className="narrow">
          <Offer offer={stage.offer} />
          <Identify token={token} offer={stage.offer}
            sent={(email, name, sent) => setStage({ kind: "code", offer: stage.offer, email, name, sent })} />
        </main>
      )}
      {stage.kind === "code" && (
        <main className="narrow">
          <Offer offer={stage.offer} />
          <EnterCode token={token} email={stage.email} sent={stage.sent}
            back={() => setStage({ kind: "identify", offer: stage.offer })}
            verified={(session) => setStage({ kind: "signed-in", session })} />
        </main>
      )}
      {stage.kind === "signed-in" && (
        <LinkWorkspace session={stage.session}
          left={() => setStage({ kind: "identify", offer: stage.session.offer })} />
      )}
    </>
  );
}

export function Offer({ offer }: { offer: link.LinkOffer }) {
  return (
    <section aria-label="What this link offers">
      <h1>Request access: {offer.flow}</h1>
      <p>Through this link you may ask for:</p>
      <ul className="offers">
        {offer.resources.map((r) => (
          <li key={r.key}><strong>{r.key}</strong>{r.name && r.name !== r.key && ` (${r.name})`}</li>
        ))}
      </ul>
      <p className="muted">
        Permissions: {offer.permissions.join(", ")} · at most {offer.maxDurationMinutes} minutes
        {offer.justificationRequired && " · a justification is required"}
        {offer.allowedEmailDomains.length > 0 && ` · emails at ${offer.allowedEmailDomains.join(", ")}`}
        {offer.expiresAt && ` · the link works until ${new Date(offer.expiresAt * 1000).toLocaleString()}`}
      </p>
    </section>
  );
}

function Identify(props: { token: string; offer: link.LinkOffer; sent: (email: string, name: string, message: string) => void }) {
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const { busy, error, run } = useAction();

  async function submit(event: FormEvent) {
    event.preventDefault();
    await run(async () => props.sent(email.trim(), name.trim(), await link.sendCode(props.token, email.trim(), name.trim())));
  }

  return (
    <form onSubmit={submit} aria-label="Who you are">
      <h2>Who you are</h2>
      <label>
        Your name
        <input name="name" autoComplete="name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        Your email
        <input type="email" name="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
      </label>
      <ErrorNote message={error} />
      <button type="submit" disabled={busy}>{busy ? "Sending…" : "Email me a code"}</button>
    </form>
  );
}

function EnterCode(props: { token: string; email: string; sent: string; back: () => void; verified: (s: link.LinkSession) => void }) {
  const [code, setCode] = useState("");
  const { busy, error, run } = useAction();

  async function submit(event: FormEvent) {
    event.preventDefault();
    await run(async () => props.verified(await link.verifyCode(props.token, props.email, code.trim())));
  }

  return (
    <form onSubmit={submit} aria-label="Confirm your email">
      <h2>Confirm your email</h2>
      <p role="status">{props.sent}</p>
      <label>
        Code from the email to {props.email}
        <input name="code" autoComplete="one-time-code" inputMode="numeric" required autoFocus
          value={code} onChange={(e) => setCode(e.target.value)} />
      </label>
      <ErrorNote message={error} />
      <div className="decision">
        <button type="submit" disabled={busy}>{busy ? "Checking…" : "Confirm"}</button>
        <button type="button" className="secondary" onClick={props.back}>Use another email</button>
      </div>
    </form>
  );
}
