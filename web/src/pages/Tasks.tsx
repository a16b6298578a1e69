// Manual-integration tasks assigned to me: do the change by hand, then mark it done.
import { useState } from "react";
import { Link } from "react-router";
import { request } from "../api/graphql";
import { CompleteTask, MyTasks } from "../api/operations";
import type { MyTasksQuery } from "../gql/graphql";
import { Empty, ErrorNote, Loading, useAction, useLoad, when } from "../ui";

type Task = MyTasksQuery["myTasks"][number];

function Done({ task, changed }: { task: Task; changed: () => void }) {
  const [note, setNote] = useState("");
  const { busy, error, run } = useAction();
  return (
    <div className="decision">
      <label>
        Note
        <input aria-label={`Note for task ${task.id}`} maxLength={1000} value={note} onChange={(e) => setNote(e.target.value)} />
      </label>
      <button type="button" disabled={busy}
        onClick={() => void run(() => request(CompleteTask, { id: task.id, note })).then((ok) => ok && changed())}>
        Mark done
      </button>
      <ErrorNote message={error} />
    </div>
  );
}

export function TasksPage() {
  const [done, setDone] = useState(false);
  const { data, error, reload } = useLoad(async () => (await request(MyTasks, { done })).myTasks, [done], 5000);
  return (
    <main>
      <h1>Tasks</h1>
      <p>
        <label className="inline">
          <input type="checkbox" checked={done} onChange={(e) => setDone(e.target.checked)} /> Show done tasks
        </label>
      </p>
      <ErrorNote message={error} />
      {data === undefined ? (
        !error && <Loading what="your tasks" />
      ) : data.length === 0 ? (
        <Empty>{done ? "No task done yet." : "No task is waiting for you."}</Empty>
      ) : (
        <ul className="cards">
          {data.map((task) => (
            <li key={task.id} className="card">
              <h2>{task.action} in {task.integration}</h2>
              <p>
                For request <Link to={`/requests/${encodeURIComponent(task.request)}`}>{task.request}</Link>, since {when(task.createdAt)}
                {task.doneAt ? `; done by ${task.doneBy} at ${when(task.doneAt)}` : ""}
              </p>
              {task.note && <blockquote>{task.note}</blockquote>}
              {!task.doneAt && <Done task={task} changed={reload} />}
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}
