// Reading the console's JSON API, and the server-sent events that say when to read again.
import { useEffect, useState } from 'preact/hooks';

export class ApiError extends Error {}

async function answer<T>(res: Response): Promise<T> {
  const body = (await res.json().catch(() => null)) as { error?: string } | null;
  if (!res.ok) throw new ApiError(body?.error ?? `the console answered ${res.status}`);
  return body as T;
}

export async function get<T>(path: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { headers: { accept: 'application/json' } });
  } catch {
    throw new ApiError('the broker is not reachable (is it still running?)');
  }
  return answer<T>(res);
}

export async function post<T>(path: string, body: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  } catch {
    throw new ApiError('the broker is not reachable (is it still running?)');
  }
  return answer<T>(res);
}

type Listener = (what: string) => void;
const listeners = new Set<Listener>();
let source: EventSource | undefined;

/** Calls `fn` whenever the broker says something changed (topics, groups, nodes, or a periodic tick). */
export function onChange(fn: Listener): () => void {
  if (source === undefined) {
    source = new EventSource('/api/events');
    source.addEventListener('change', (e) => {
      const what = (JSON.parse((e as MessageEvent<string>).data) as { what: string }).what;
      for (const l of listeners) l(what);
    });
  }
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
}

/** GET `path`, again whenever the broker reports a change (`live`), keeping the last answer on screen meanwhile. */
export function useApi<T>(path: string | null, live = true): Loaded<T> & { reload: () => void } {
  const [state, setState] = useState<Loaded<T>>({ data: undefined, error: undefined });
  const [version, setVersion] = useState(0);
  useEffect(() => {
    if (!live) return;
    return onChange(() => setVersion((v) => v + 1));
  }, [live]);
  useEffect(() => {
    if (path === null) return;
    let current = true;
    get<T>(path).then(
      (data) => current && setState({ data, error: undefined }),
      (e: Error) => current && setState((s) => ({ data: s.data, error: e.message })),
    );
    return () => {
      current = false;
    };
  }, [path, version]);
  useEffect(() => setState({ data: undefined, error: undefined }), [path]);
  return { ...state, reload: () => setVersion((v) => v + 1) };
}
