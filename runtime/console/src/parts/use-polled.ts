import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { get } from '../api.ts';
import type { Loaded } from './use-api.ts';

/**
 * Reads `path` now and every `everyMs` while the component is shown (and the tab visible), keeping
 * the last answer on screen while the next is read, so a live table or chart does not blink. A
 * failed read shows its error until a later one succeeds. `null` reads nothing. When `settled`
 * says an answer (or a failed read) will not change by itself, reading stops there, until
 * `reload()` or another path.
 */
export function usePolled<T = any>(path: string | null, everyMs: number, settled?: (data: T | undefined, error: Error | undefined) => boolean): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error }>({});
  const [tick, setTick] = useState(0);
  const shown = useRef(path);
  // The newest predicate, without restarting the reads when a caller passes a new closure each render.
  const settledNow = useRef(settled);
  settledNow.current = settled;
  useEffect(() => {
    if (path === null) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // One read at a time: the next is timed from the end of the last, so a slow API is not piled on.
    const read = async () => {
      let done = false;
      if (document.visibilityState !== 'hidden') {
        try {
          const data = await get<T>(path);
          if (live) setState({ data });
          done = settledNow.current?.(data, undefined) ?? false;
        } catch (error) {
          if (live) setState((s) => ({ ...s, error: error as Error }));
          done = settledNow.current?.(undefined, error as Error) ?? false;
        }
      }
      if (live && !done) timer = setTimeout(read, everyMs);
    };
    // Another path's answer is not this one's: clear it. A reload keeps it until the new one comes.
    if (shown.current !== path) setState({});
    shown.current = path;
    void read();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [path, everyMs, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data: state.data, error: state.error, reload };
}
