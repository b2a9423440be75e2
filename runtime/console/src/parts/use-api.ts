import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, get } from '../api.ts';

/** What a page shows while it reads: the data, or the error, and a way to read again. */
export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | Error | undefined;
  reload(): void;
}

/**
 * Reads `path` (a GET of the API) when it changes; `null` reads nothing. What was read is kept
 * with the path and reading it was for: the render right after `path` changes (before the new
 * read starts) shows nothing rather than the old path's data under the new filters.
 */
export function useApi<T = any>(path: string | null): Loaded<T> {
  const [state, setState] = useState<{ read?: string; data?: T; error?: Error }>({});
  const [tick, setTick] = useState(0);
  const read = `${tick} ${path}`;
  useEffect(() => {
    if (path === null) return;
    let live = true;
    setState({});
    get<T>(path).then(
      (data) => live && setState({ read, data }),
      (error: Error) => live && setState({ read, error }),
    );
    return () => {
      live = false;
    };
  }, [path, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  const now = state.read === read ? state : {};
  return { data: now.data, error: now.error, reload };
}
