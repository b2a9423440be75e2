import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, get } from '../api.ts';

/** What a page shows while it reads: the data, or the error, and a way to read again. */
export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | Error | undefined;
  reload(): void;
}

/** Reads `path` (a GET of the API) when it changes; `null` reads nothing. */
export function useApi<T = any>(path: string | null): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error }>({});
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    setState({});
    get<T>(path).then(
      (data) => live && setState({ data }),
      (error: Error) => live && setState({ error }),
    );
    return () => {
      live = false;
    };
  }, [path, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data: state.data, error: state.error, reload };
}
