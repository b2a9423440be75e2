import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { get } from '../api.ts';
import { when } from './format.ts';
import { appendKept, logQuery, KEPT_LINES, type LogFilters, type LogLine } from './log-follow.ts';

const FIRST = 100;
/** How often a followed log is read again: about what `autoglm logs --follow` does. */
const FOLLOW_MS = 2_000;
const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/**
 * A function's logs (`GET /v1/functions/{name}/logs`) for a token that may read them: the newest
 * lines, filtered by level and version; with Follow on, the lines after the last page's cursor
 * (`after`) are read every 2 s and appended, keeping the newest {@link KEPT_LINES}.
 */
export function LogsPanel({ name, versions }: { name: string; versions: string[] }) {
  const [filters, setFilters] = useState<LogFilters>({ level: '', version: '' });
  const [follow, setFollow] = useState(false);
  const [lines, setLines] = useState<LogLine[] | undefined>(undefined);
  const [problem, setProblem] = useState('');
  const [tick, setTick] = useState(0);
  // Where the next read starts; reset with the filters, since a cursor belongs to one query's pages.
  const next = useRef<string | null>(null);
  const pre = useRef<HTMLPreElement>(null);

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    next.current = null;
    setLines(undefined);
    const read = async (first: boolean) => {
      try {
        const cursor = first ? null : next.current;
        const page = await get<{ lines: LogLine[]; next: string | null }>(`/v1/functions/${encodeURIComponent(name)}/logs?${logQuery(filters, cursor, cursor === null ? FIRST : KEPT_LINES)}`);
        if (!live) return;
        next.current = page.next;
        // Without a cursor the page is the newest lines, not the ones after: it replaces.
        setLines((kept) => (cursor === null ? page.lines : appendKept(kept ?? [], page.lines)));
        setProblem('');
      } catch (e) {
        if (live) setProblem((e as Error).message);
      }
      if (live && follow) timer = setTimeout(() => void read(false), FOLLOW_MS);
    };
    void read(true);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [name, filters.level, filters.version, follow, tick]);

  // Keep the newest line in view while following, as a terminal does.
  useEffect(() => {
    if (follow && pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [lines, follow]);

  const pick = (k: keyof LogFilters) => (e: Event) => setFilters({ ...filters, [k]: (e.target as HTMLSelectElement).value });
  return html`<section class="panel logs">
    <h2>Logs</h2>
    <form class="filters" onSubmit=${(e: Event) => e.preventDefault()}>
      <label>Level <select name="level" value=${filters.level} onChange=${pick('level')}>
        <option value="">all</option>${LEVELS.map((l) => html`<option value=${l}>${l} and above</option>`)}
      </select></label>
      <label>Version <select name="version" value=${filters.version} onChange=${pick('version')}>
        <option value="">all</option>${versions.map((v) => html`<option value=${v}>${v}</option>`)}
      </select></label>
      <label><input type="checkbox" name="follow" checked=${follow} onChange=${(e: Event) => setFollow((e.target as HTMLInputElement).checked)} /> Follow</label>
      ${!follow && html`<button type="button" class="small" onClick=${() => setTick((n) => n + 1)}>Refresh</button>`}
    </form>
    ${problem && html`<p class="error" role="alert">${problem}</p>`}
    ${lines === undefined
      ? !problem && html`<p class="muted">Loading…</p>`
      : lines.length === 0
        ? html`<p class="muted">No lines yet.</p>`
        : html`<pre ref=${pre} data-testid="log-lines">${lines.map((l) => `${when(l.t)} ${l.level.padEnd(5)} ${l.version} ${l.msg}\n`)}</pre>`}
    ${follow && html`<p class="muted">Following: new lines appear as they are written (the newest ${KEPT_LINES} are kept).</p>`}
  </section>`;
}
