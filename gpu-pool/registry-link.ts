/**
 * What a worker needs from the function registry, in one place: which versions exist and which
 * serve traffic (from the catalogue), and answering deploy checks (load a candidate, report).
 */
import type { Redis } from 'ioredis';
import { DeployCheckConsumer } from '../queue/jobs/index.ts';
import { recordOf, servingVersions, type DeviceSlot, type FunctionRecord, type FunctionState } from '../queue/cluster/index.ts';
import { versionKey } from './record-index.ts';

/** The catalogue as a worker uses it. */
export interface CatalogView {
  /** Every version of every function: a straggler job of a version without traffic can still run. */
  records: FunctionRecord[];
  /** Keys (`name@version`) of the versions with traffic (weight above 0, or shadowed): kept loaded. */
  serving: Set<string>;
  /** Per function, the versions its queue consumer is sized for: the serving ones, or all when none serves. */
  byFunction: Map<string, FunctionRecord[]>;
}

/** Reads a catalogue snapshot. */
export function catalogView(states: FunctionState[]): CatalogView {
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

/** Answers the router's deploy checks with `probe`. Returns a close function. */
export function answerDeployChecks(
  connection: Redis,
  publisher: Redis,
  prefix: string,
  who: { workerId: string; slot: DeviceSlot },
  probe: (rec: FunctionRecord) => Promise<{ loadMs: number }>,
): () => Promise<void> {
  const shared = !who.slot.namespaces;
  const consumer = new DeployCheckConsumer(connection, publisher, prefix, { workerId: who.workerId, kind: who.slot.kind, shared }, async (rec) => ({ workerId: who.workerId, device: who.slot.id, loadMs: Math.round((await probe(rec)).loadMs) }));
  return () => consumer.close();
}
