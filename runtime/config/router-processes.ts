import { availableParallelism } from 'node:os';
import type { EnvReader } from '../../functions/sdk/index.ts';

/** Most router processes one node runs: past this, more nodes (or pods) serve better than more processes. */
export const MAX_ROUTER_PROCESSES = 64;

/**
 * `AUTOGLM_ROUTER_PROCESSES`: how many router processes share this node's port, default 1 (the
 * router runs in the launcher's own process); `auto` is one per core (`availableParallelism`).
 * A whole number from 1 to {@link MAX_ROUTER_PROCESSES}; `auto` is capped there too.
 */
export function routerProcesses(r: EnvReader, cores: number = availableParallelism()): number {
  const raw = r.string('AUTOGLM_ROUTER_PROCESSES');
  if (raw === 'auto') return Math.min(Math.max(cores, 1), MAX_ROUTER_PROCESSES);
  return r.int('AUTOGLM_ROUTER_PROCESSES', 1, 1, MAX_ROUTER_PROCESSES);
}
