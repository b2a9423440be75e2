import type { Manifest } from '../../functions/sdk/index.ts';

/**
 * One worker slot of a pool: the device a worker process runs on and the memory its model cache
 * may fill. Workers publish theirs with every heartbeat, so the router can check at deploy time
 * that some slot can serve a function (see {@link placeFunction}).
 */
export interface DeviceSlot {
  /** `gpu:0`, `cpu:1`: kind and index, unique within one node. */
  id: string;
  kind: 'cpu' | 'gpu';
  /** GPU index as nvidia-smi numbers it (what `CUDA_VISIBLE_DEVICES` takes); CPU slot number. */
  index: number;
  /** Device name from nvidia-smi (`NVIDIA A100-SXM4-40GB`), or `cpu`. */
  name: string;
  /** Bytes of models the slot's cache may hold: a function fits when its `memory` is at most this. */
  memoryBytes: number;
  /**
   * The namespaces whose functions its pool runs (`AUTOGLM_POOL_NAMESPACES`): names, `*` for
   * all, `!name` to leave one out. Absent: every namespace.
   */
  namespaces?: string[];
}

/** What placement reads: the manifest's device and memory, and the function's namespace when known. */
export type PlacementNeeds = Pick<Manifest, 'device' | 'memory'> & { namespace?: string };

/** What a version needs, placement-wise. */
export const needsOf = (rec: { namespace: string; manifest: Pick<Manifest, 'device' | 'memory'> }): PlacementNeeds => ({ device: rec.manifest.device, memory: rec.manifest.memory, namespace: rec.namespace });

/** Whether a pool that serves `scope` (see {@link DeviceSlot.namespaces}) runs the functions of `namespace`. */
export function servesNamespace(scope: readonly string[] | undefined, namespace: string): boolean {
  if (!scope) return true;
  if (scope.includes(`!${namespace}`)) return false;
  return scope.includes('*') || scope.includes(namespace);
}

/** Whether a slot can serve a function, and if not, why (a sentence an operator can act on). */
export type Fit = { ok: true } | { ok: false; reason: string };

/**
 * Whether `slot` can serve a function needing `needs`: the device kind matches (`any` fits both)
 * and the function's model memory fits the slot's cache budget. Pure: the pool uses it to pick
 * which queues a worker consumes, the function registry to refuse a deploy nothing can serve.
 */
export function canServe(needs: PlacementNeeds, slot: DeviceSlot): Fit {
  if (needs.namespace !== undefined && !servesNamespace(slot.namespaces, needs.namespace)) {
    return { ok: false, reason: `is in namespace '${needs.namespace}'; ${slot.id} serves ${slot.namespaces!.join(',')}` };
  }
  if (needs.device !== 'any' && needs.device !== slot.kind) {
    return { ok: false, reason: `needs a ${needs.device} device; ${slot.id} is a ${slot.kind}` };
  }
  if (needs.memory > slot.memoryBytes) {
    return { ok: false, reason: `needs ${formatBytes(needs.memory)} of model memory; ${slot.id} has ${formatBytes(slot.memoryBytes)}` };
  }
  return { ok: true };
}

/**
 * Places a function on an inventory (every live slot, e.g. from `WorkerRoster.inventory()`).
 * Returns the slots that can serve it, or one reason naming what is missing, such as
 * "needs a gpu device; the pool has only cpu slots (cpu:0, cpu:1)". An empty inventory is refused
 * too ("no live worker"): callers deploying before any pool started decide whether to accept.
 */
export function placeFunction<S extends DeviceSlot>(needs: PlacementNeeds, inventory: readonly S[]): { ok: true; slots: S[] } | { ok: false; reason: string } {
  if (inventory.length === 0) return { ok: false, reason: 'no live worker has reported its devices, so placement cannot be checked' };
  const slots = inventory.filter((s) => canServe(needs, s).ok);
  if (slots.length > 0) return { ok: true, slots };
  const ns = needs.namespace;
  const own = ns === undefined ? inventory : inventory.filter((s) => servesNamespace(s.namespaces, ns));
  if (own.length === 0) {
    const scopes = [...new Set(inventory.map((s) => s.namespaces?.join(',') ?? '*'))].join('; ');
    return { ok: false, reason: `is in namespace '${ns}', which no live pool serves (they serve: ${scopes})` };
  }
  return placeAmong(needs, own);
}

/** Why none of `inventory`, all of which serve the function's namespace, can serve it. */
function placeAmong(needs: PlacementNeeds, inventory: readonly DeviceSlot[]): { ok: false; reason: string } {
  const kinds = needs.device === 'any' ? inventory : inventory.filter((s) => s.kind === needs.device);
  if (kinds.length === 0) {
    const have = [...new Set(inventory.map((s) => s.kind))].join(' and ');
    return { ok: false, reason: `needs a ${needs.device} device; the pool has only ${have} slots (${ids(inventory)})` };
  }
  const largest = kinds.reduce((a, b) => (b.memoryBytes > a.memoryBytes ? b : a));
  return {
    ok: false,
    reason: `needs ${formatBytes(needs.memory)} of model memory; the largest ${needs.device === 'any' ? '' : needs.device + ' '}slot offers ${formatBytes(largest.memoryBytes)} (${largest.id})`,
  };
}

function ids(slots: readonly DeviceSlot[]): string {
  const unique = [...new Set(slots.map((s) => s.id))];
  return unique.length > 6 ? `${unique.slice(0, 6).join(', ')}, …` : unique.join(', ');
}

/** `268435456` → `256 MiB`. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[u]}`;
}
