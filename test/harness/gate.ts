import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The `held` fixture's folder (test/fixtures/functions/held): calls that run until the test opens their gate. */
export const GATE_FUNCTION = fileURLToPath(new URL('../fixtures/functions/held/', import.meta.url));

/**
 * A barrier for calls of the `held` fixture: they start (each appends its label to `started`) and
 * run until {@link Gate.open}, so a "long-running job" runs exactly as long as the test needs,
 * whatever the machine's load. The fixture reads files: its platform runs AUTOGLM_ISOLATION=thread.
 */
export interface Gate {
  /** The input of one call held by this gate. */
  input(label?: string): { release: string; started: string; label?: string };
  /** Labels of the calls that have started, in the order they started (a retried call twice). */
  started(): string[];
  open(): void;
}

let seq = 0;

/** A closed gate whose files live in `dir` (a folder the worker can read and write). */
export function newGate(dir: string): Gate {
  const n = ++seq;
  const release = join(dir, `gate-${process.pid}-${n}.open`);
  const started = join(dir, `gate-${process.pid}-${n}.started`);
  writeFileSync(started, '');
  return {
    input: (label) => ({ release, started, ...(label === undefined ? {} : { label }) }),
    started: () => (existsSync(started) ? readFileSync(started, 'utf8').split('\n').slice(0, -1) : []),
    open: () => writeFileSync(release, ''),
  };
}
