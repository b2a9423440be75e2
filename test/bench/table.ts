/**
 * Plain Markdown tables: readable in a terminal and pasted as is into docs/benchmarks.md.
 * Numeric-looking cells are right-aligned.
 */

/** Renders `rows` under `header`, padding every column to its widest cell. */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^[-+]?[\d.,]+(\s?[%×a-zA-Z]*)?$|^—$/.test(r[i] ?? '')));
  const cell = (s: string, i: number) => (numeric[i] ? s.padStart(widths[i]!) : s.padEnd(widths[i]!));
  const line = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (numeric[i] ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** `12345.6` → `12,346`; fractional below 100 so small numbers keep their precision. */
export function num(n: number, digits?: number): string {
  if (!Number.isFinite(n)) return '—';
  const d = digits ?? (Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : 2);
  return n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

/** The median element of `xs` ordered by `by` (the lower middle one of an even count). */
export function medianBy<T>(xs: readonly T[], by: (x: T) => number): T {
  return [...xs].sort((a, b) => by(a) - by(b))[Math.floor((xs.length - 1) / 2)]!;
}

/** `a / b` as a ratio cell: `0.44×`. */
export function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(2)}×`;
}
