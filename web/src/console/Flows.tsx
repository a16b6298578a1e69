// Access flows: the list with the API's findings (flows that allow nothing, shadowed ones),
// and an editor for each option with the Cedar the saved flow compiles to beside it.
// Validation is the API's: its message shows beside the form, nothing is saved then.
import { useEffect, useState, type FormEvent } from "react";
import { request } from "../api/graphql";
import { CompiledFlow, Flows as FlowsDoc, SaveFlow } from "../api/console";
import { messageOf } from "../api/errors";
import type { AccessFlowInput, ApprovalStepInput, FlowFieldsFragment } from "../gql/graphql";
import { Empty, ErrorNote, Loading, useAction, useLoad } from "../ui";
import { listOf } from "./Guard";

type Kind = "text" | "list" | "int" | "bool" | "select";
interface Field {
  name: keyof AccessFlowInput & keyof FlowFieldsFragment;
  label: string;
  kind: Kind;
  choices?: string[];
}

// Every option of a flow, grouped as the editor shows them.
const GROUPS: [string, Field[]][] = [
  ["Flow", [
    { name: "key", label: "Key", kind: "text" },
    { name: "name", label: "Name", kind: "text" },
    { name: "enabled", label: "Enabled", kind: "bool" },
    { name: "trigger", label: "Trigger", kind: "select", choices: ["portal", "link"] },
  ]],
  ["Who may request", [
    { name: "requestorUsers", label: "Requestor users", kind: "list" },
    { name: "requestorGroups", label: "Requestor groups", kind: "list" },
    { name: "everyone", label: "Everyone", kind: "bool" },
    { name: "external", label: "External requesters (access links)", kind: "bool" },
    { name: "forSelf", label: "For themselves", kind: "bool" },
    { name: "onBehalfUsers", label: "On behalf of users", kind: "list" },
    { name: "onBehalfReports", label: "On behalf of their reports", kind: "bool" },
  ]],
  ["What may be requested", [
    { name: "integrations", label: "Integrations", kind: "list" },
    { name: "resources", label: "Resources", kind: "list" },
    { name: "resourceTypes", label: "Resource types", kind: "list" },
    { name: "bundles", label: "Bundles", kind: "list" },
    { name: "tags", label: "Tags", kind: "list" },
    { name: "excludeResources", label: "Excluded resources", kind: "list" },
    { name: "excludeTags", label: "Excluded tags", kind: "list" },
    { name: "permissions", label: "Permissions", kind: "list" },
  ]],
  ["Terms", [
    { name: "maxDurationMinutes", label: "Maximum duration (minutes)", kind: "int" },
    { name: "defaultDurationMinutes", label: "Default duration (minutes, 0: the maximum)", kind: "int" },
    { name: "maxExtensions", label: "Extensions allowed", kind: "int" },
    { name: "justificationRequired", label: "Justification required", kind: "bool" },
    { name: "maxLeadDays", label: "Start at most this many days ahead", kind: "int" },
    { name: "pendingTimeoutMinutes", label: "Undecided requests time out after (minutes)", kind: "int" },
  ]],
  ["Approval", [
    { name: "approvers", label: "Approvers (users)", kind: "list" },
    { name: "approverGroups", label: "Approver groups", kind: "list" },
    { name: "approverManager", label: "The requester's manager approves", kind: "bool" },
    { name: "approvalMode", label: "Approval mode", kind: "select", choices: ["any", "all"] },
    { name: "approverReasonRequired", label: "Approver must give a reason", kind: "bool" },
    { name: "approverMfa", label: "Approver confirms with MFA", kind: "bool" },
    { name: "escalationMinutes", label: "Escalate after (minutes, 0: never)", kind: "int" },
    { name: "escalationUsers", label: "Escalation users", kind: "list" },
    { name: "escalationGroups", label: "Escalation groups", kind: "list" },
  ]],
  ["Time window", [
    { name: "windowDays", label: "Days (e.g. mon, tue)", kind: "list" },
    { name: "windowStart", label: "From (HH:MM)", kind: "text" },
    { name: "windowEnd", label: "Until (HH:MM)", kind: "text" },
    { name: "timeZone", label: "Time zone (IANA)", kind: "text" },
  ]],
];
const FIELDS = GROUPS.flatMap(([, fields]) => fields);
type Draft = Record<string, string | boolean>;

const BLANK: Draft = Object.fromEntries(
  FIELDS.map((f) => [f.name, f.kind === "bool" ? ["enabled", "forSelf"].includes(f.name) : ""]),
);
Object.assign(BLANK, { trigger: "portal", approvalMode: "any", permissions: "read", maxDurationMinutes: "60" });

function draftOf(flow: FlowFieldsFragment): Draft {
  const values = flow as unknown as Record<string, unknown>;
  return Object.fromEntries(
    FIELDS.map((f) => {
      const value = values[f.name];
      if (f.kind === "bool") return [f.name, Boolean(value)];
      if (Array.isArray(value)) return [f.name, value.join(", ")];
      return [f.name, value === null || value === undefined ? "" : String(value)];
    }),
  );
}

function inputOf(draft: Draft): AccessFlowInput {
  const input: Record<string, unknown> = {};
  for (const f of FIELDS) {
    const value = draft[f.name];
    if (f.kind === "bool") input[f.name] = Boolean(value);
    else if (f.kind === "list") input[f.name] = listOf(String(value));
    else if (f.kind === "int") input[f.name] = value === "" ? null : Number(value);
    else input[f.name] = String(value).trim();
  }
  return input as unknown as AccessFlowInput;
}

interface StepDraft { approvers: string; approverGroups: string; manager: boolean; mode: string }

function stepsOf(flow: FlowFieldsFragment | null): StepDraft[] {
  return (flow?.approvalSteps ?? []).map((s) => ({
    approvers: s.approvers.join(", "),
    approverGroups: s.approverGroups.join(", "),
    manager: s.manager,
    mode: s.mode,
  }));
}

function stepInputs(steps: StepDraft[]): ApprovalStepInput[] {
  return steps.map((s) => ({
    approvers: listOf(s.approvers),
    approverGroups: listOf(s.approverGroups),
    manager: s.manager,
    mode: s.mode,
  }));
}

/** Ordered approval steps; when there are any, they replace the single step above. */
function Steps({ steps, change }: { steps: StepDraft[]; change: (steps: StepDraft[]) => void }) {
  const set = (i: number, patch: Partial<StepDraft>) => change(steps.map((s, j) => (j === i ? { ...s, ...patch } : s)));
  return (
    <fieldset>
      <legend>Ordered approval steps (used instead of the approvers above when any)</legend>
      {steps.map((step, i) => (
        <div key={i} className="step" role="group" aria-label={`Step ${i + 1}`}>
          <label>Step {i + 1} approvers<input value={step.approvers} onChange={(e) => set(i, { approvers: e.target.value })} /></label>
          <label>Step {i + 1} groups<input value={step.approverGroups} onChange={(e) => set(i, { approverGroups: e.target.value })} /></label>
          <label className="inline">
            <input type="checkbox" checked={step.manager} onChange={(e) => set(i, { manager: e.target.checked })} />
            Step {i + 1}: the requester's manager
          </label>
          <label>
            Step {i + 1} mode
            <select value={step.mode} onChange={(e) => set(i, { mode: e.target.value })}>
              <option>any</option>
              <option>all</option>
            </select>
          </label>
          <button type="button" className="secondary" onClick={() => change(steps.filter((_, j) => j !== i))}>
            Remove step {i + 1}
          </button>
        </div>
      ))}
      <button type="button" className="secondary"
        onClick={() => change([...steps, { approvers: "", approverGroups: "", manager: false, mode: "any" }])}>
        Add a step
      </button>
    </fieldset>
  );
}

function Compiled({ flowKey, version }: { flowKey: string; version: number }) {
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setText(null);
    setError(null);
    if (!flowKey) return;
    request(CompiledFlow, { key: flowKey })
      .then((answer) => setText(answer.compiledFlow))
      .catch((failure: unknown) => setError(messageOf(failure)));
  }, [flowKey, version]);
  return (
    <section aria-label="Compiled Cedar" className="cedar">
      <h2>Compiled Cedar</h2>
      {!flowKey ? (
        <Empty>Save the flow to see the Cedar it compiles to.</Empty>
      ) : error ? (
        <ErrorNote message={error} />
      ) : text === null ? (
        <Loading what="the compiled policy" />
      ) : (
        <pre tabIndex={0}>{text || "// disabled: compiles to nothing"}</pre>
      )}
    </section>
  );
}

/** The editor of one flow (`start`), or of a new one; keyed by flow, so it starts afresh. */
function Editor({ start, saved }: { start: FlowFieldsFragment | null; saved: (key: string) => void }) {
  const [draft, setDraft] = useState<Draft>(start ? draftOf(start) : BLANK);
  const [steps, setSteps] = useState<StepDraft[]>(stepsOf(start));
  const [version, setVersion] = useState(0);
  const [savedKey, setSavedKey] = useState(start?.key ?? "");
  const { busy, error, run } = useAction();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const ok = await run(() => request(SaveFlow, { flow: { ...inputOf(draft), approvalSteps: stepInputs(steps) } }));
    if (ok) {
      setSavedKey(String(draft.key).trim());
      setVersion((v) => v + 1);
      saved(String(draft.key).trim());
    }
  }

  return (
    <div className="editor">
      <form onSubmit={submit} aria-label="Access flow editor">
        {GROUPS.map(([legend, fields]) => (
          <fieldset key={legend}>
            <legend>{legend}</legend>
            {fields.map((f) => (
              <label key={f.name} className={f.kind === "bool" ? "inline" : undefined}>
                {f.kind === "bool" ? (
                  <input type="checkbox" checked={Boolean(draft[f.name])}
                    onChange={(e) => setDraft({ ...draft, [f.name]: e.target.checked })} />
                ) : null}
                {f.label}
                {f.kind === "select" ? (
                  <select value={String(draft[f.name])} onChange={(e) => setDraft({ ...draft, [f.name]: e.target.value })}>
                    {f.choices?.map((c) => <option key={c}>{c}</option>)}
                  </select>
                ) : f.kind !== "bool" ? (
                  <input type={f.kind === "int" ? "number" : "text"} value={String(draft[f.name])}
                    readOnly={f.name === "key" && Boolean(start)}
                    onChange={(e) => setDraft({ ...draft, [f.name]: e.target.value })} />
                ) : null}
              </label>
            ))}
          </fieldset>
        ))}
        <Steps steps={steps} change={setSteps} />
        <ErrorNote message={error} />
        <button type="submit" disabled={busy}>{busy ? "Saving…" : "Save flow"}</button>
      </form>
      <Compiled flowKey={savedKey} version={version} />
    </div>
  );
}

export function FlowsPage() {
  const [chosen, setChosen] = useState<string | null>(null);
  const { data, error, reload } = useLoad(() => request(FlowsDoc), []);
  const flow = data?.accessFlows.find((f) => f.key === chosen) ?? null;
  return (
    <main className="wide">
      <h1>Access flows</h1>
      <ErrorNote message={error} />
      {data === undefined ? (
        !error && <Loading what="access flows" />
      ) : (
        <>
          {data.flowFindings.length > 0 && (
            <section aria-label="Findings" className="warnings">
              <h2>Warnings</h2>
              <ul>
                {data.flowFindings.map((f, i) => (
                  <li key={i}><strong>{f.flow}</strong> ({f.kind}): {f.message}</li>
                ))}
              </ul>
            </section>
          )}
          {data.accessFlows.length === 0 ? (
            <Empty>No access flow yet: nobody can request anything.</Empty>
          ) : (
            <table>
              <caption>Flows, by key</caption>
              <thead>
                <tr><th scope="col">Key</th><th scope="col">Name</th><th scope="col">Enabled</th><th scope="col">Approval</th><th scope="col">Edit</th></tr>
              </thead>
              <tbody>
                {data.accessFlows.map((f) => (
                  <tr key={f.key}>
                    <th scope="row">{f.key}</th>
                    <td>{f.name}</td>
                    <td>{f.enabled ? "yes" : "no"}</td>
                    <td>{f.autoApprove ? "automatic" : [...f.approvers, ...f.approverGroups.map((g) => `group ${g}`), ...(f.approverManager ? ["manager"] : [])].join(", ")}</td>
                    <td><button type="button" className="secondary" onClick={() => setChosen(f.key)} aria-label={`Edit ${f.key}`}>Edit</button></td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <p><button type="button" className="secondary" onClick={() => setChosen(null)}>New flow</button></p>
          <h2>{flow ? `Edit ${flow.key}` : "New flow"}</h2>
          {/* A new editor per flow: what one typed never leaks into the next. */}
          <Editor key={flow?.key ?? "new"} start={flow} saved={(key) => { setChosen(key); reload(); }} />
        </>
      )}
    </main>
  );
}
