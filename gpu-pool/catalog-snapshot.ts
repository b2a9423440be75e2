import { recordOf, servingVersions, type FunctionRecord, type FunctionState } from '../queue/cluster/index.ts';
import { versionKey } from './catalog-index.ts';

/** The catalogue as a worker uses it. */
export interface CatalogSnapshot {
  /** Every version of every function: a straggler job of a version without traffic can still run. */
  records: FunctionRecord[];
  /** Keys (`name@version`) of the versions with traffic (weight above 0, or shadowed): kept loaded. */
  serving: Set<string>;
  /** Per function, the versions its queue consumer is sized for: the serving ones, or all when none serves. */
  byFunction: Map<string, FunctionRecord[]>;
}

/** Reads a catalogue snapshot. */
export function catalogSnapshot(states: FunctionState[]): CatalogSnapshot {
  const records: FunctionRecord[] = [];
  const serving = new Set<string>();
  const byFunction = new Map<string, FunctionRecord[]>();
  for (const s of states) {
    const all = Object.keys(s.versions).flatMap((v) => recordOf(s, v) ?? []);
    const live = servingVersions(s.traffic);
    for (const v of live) serving.add(versionKey(s.name, v));
    records.push(...all);
    const sized = all.filter((r) => live.has(r.version));
    byFunction.set(s.name, sized.length > 0 ? sized : all);
  }
  return { records, serving, byFunction };
}
