// Small shared pieces: loading, empty and error states, a loader hook, a submit guard.
import { useCallback, useEffect, useRef, useState, type ReactNode } from "react";
import { SignedOutError, messageOf } from "./api/errors";
import { useSession } from "./session";

export function Loading({ what }: { what: string }) {
  return (
    <p role="status" aria-live="polite" className="muted">
      Loading {what}…
    </p>
  );
}

export function ErrorNote({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <p role="alert" className="error">
      {message}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** Data for a page: `reload` fetches again; a lost session returns to sign-in. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], everyMs?: number) {
  const { lost } = useSession();
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(load, deps);
  const reload = useCallback(() => {
    run()
      .then((value) => {
        setData(value);
        setError(null);
      })
      .catch((failure: unknown) => {
        if (failure instanceof SignedOutError) lost();
        else setError(messageOf(failure));
      });
  }, [run, lost]);
  useEffect(() => {
    reload();
    if (!everyMs) return undefined;
    const timer = window.setInterval(reload, everyMs);
    return () => window.clearInterval(timer);
  }, [reload, everyMs]);
  return { data, error, reload };
}

/** An action that runs once at a time (a double click does not submit twice), with its
 * error kept for display beside the control that caused it. */
export function useAction() {
  const { lost } = useSession();
  const busyRef = useRef(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(
    async (action: () => Promise<unknown>): Promise<boolean> => {
      if (busyRef.current) return false;
      busyRef.current = true;
      setBusy(true);
      setError(null);
      try {
        await action();
        return true;
      } catch (failure) {
        if (failure instanceof SignedOutError) lost();
        else setError(messageOf(failure));
        return false;
      } finally {
        busyRef.current = false;
        setBusy(false);
      }
    },
    [lost],
  );
  return { busy, error, run, setError };
}

/** The current time, ticking every second, for countdowns. */
export function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, []);
  return now;
}

export function timeLeft(until: string | null | undefined, now: number): string {
  if (!until) return "no end";
  const seconds = Math.max(0, Math.round((Date.parse(until) - now) / 1000));
  if (seconds === 0) return "ending now";
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h} h ${m} min left` : m > 0 ? `${m} min ${s} s left` : `${s} s left`;
}

export function when(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : "—";
}

/** One page of a long list already in memory, and the Previous/Next buttons that move it: a
 * table of thousands of rows would be slow to draw and to read. Back to the start on new rows. */
export function usePage<T>(rows: T[], size: number, what: string) {
  const [start, setStart] = useState(0);
  useEffect(() => setStart(0), [rows]);
  const shown = rows.slice(start, start + size);
  const pager = rows.length <= size ? null : (
    <nav className="pager" aria-label={`Pages of ${what}`}>
      <button type="button" className="secondary" disabled={start === 0} onClick={() => setStart(Math.max(0, start - size))}>Previous</button>
      <span role="status">{`${what} ${(start + 1).toLocaleString()} to ${(start + shown.length).toLocaleString()} of ${rows.length.toLocaleString()}`}</span>
      <button type="button" className="secondary" disabled={start + size >= rows.length} onClick={() => setStart(start + size)}>Next</button>
    </nav>
  );
  return { shown, pager };
}
