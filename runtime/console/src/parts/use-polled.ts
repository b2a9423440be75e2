import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { get } from '../api.ts';
import type { Loaded } from './use-api.ts';

/**
 * Reads `path` now and every `everyMs` while the component is shown (and the tab visible), keeping
 * the last answer on screen while the next is read, so a live table or chart does not blink. A
 * failed read shows its error until a later one succeeds. `null` reads nothing.
 */
export function usePolled<T = any>(path: string | null, everyMs: number): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error }>({});
  const [tick, setTick] = useState(0);
  const shown = useRef(path);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // One read at a time: the next is timed from the end of the last, so a slow API is not piled on.
    const read = async () => {
      if (document.visibilityState !== 'hidden') {
        try {
          const data = await get<T>(path);
          if (live) setState({ data });
        } catch (error) {
          if (live) setState((s) => ({ ...s, error: error as Error }));
        }
      }
      if (live) timer = setTimeout(read, everyMs);
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
