/** Writes what a command produced: a table for people, JSON with `--json`. */
export interface Output {
  json: boolean;
  /** Prints `data` as JSON, or `human()` as text. */
  print(data: unknown, human: () => string): void;
  /** A progress note on stderr (only on a terminal, never in JSON mode). */
  note(text: string): void;
  /** A part of a streamed answer as it arrives: a string as it is, anything else as a JSON line; with `--json`, `{"chunk": …}` lines. */
  chunk(value: unknown): void;
}

export function createOutput(json: boolean, out: NodeJS.WriteStream = process.stdout, err: NodeJS.WriteStream = process.stderr): Output {
  return {
    json,
    print(data, human) {
      out.write(json ? JSON.stringify(data, null, 2) + '\n' : human() + '\n');
    },
    note(text) {
      if (!json && err.isTTY) err.write(text);
    },
    chunk(value) {
      out.write(json ? `${JSON.stringify({ chunk: value })}\n` : typeof value === 'string' ? value : `${JSON.stringify(value)}\n`);
    },
  };
}

/** Renders rows as an aligned text table with a header. */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : (c ?? '').padEnd(widths[i]!))).join('  ')).join('\n');
}

/** A count and its noun, plural unless the count is 1: `1 record`, `0 records`, `3 records`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `90% a1b2c3, 10% d4e5f6 (shadow 5% 778899)` */
export function trafficLine(t: { routes: { version: string; weight: number }[]; shadow: { version: string; percent: number } | null }): string {
  const routes = t.routes.map((r) => `${r.weight}% ${r.version}`).join(', ') || 'no traffic';
  return t.shadow ? `${routes} (shadow ${t.shadow.percent}% ${t.shadow.version})` : routes;
}
