import { createHash } from 'node:crypto';
import { PlatformError } from '../../queue/platform-error.ts';
import type { FunctionState, TrafficTable } from '../../queue/cluster/index.ts';
import type { RolloutOverrides } from '../rollouts/rollout-plan.ts';

/** A traffic change that cannot apply (unknown version, weights not summing to 100…), naming the field as sent (`routes[1].weight`). */
export class TrafficError extends PlatformError {
  override readonly name = 'TrafficError';
  constructor(message: string, field?: string, where: 'body' | 'query' = 'body') {
    super('INVALID_TRAFFIC', message, field ? { extra: { field, in: where } } : {});
  }
}

/**
 * How a freshly deployed version enters traffic. `rollout` steps it in under analysis; with
 * `ifDeclared` (a deploy that chose nothing) only when its manifest has a `rollout` section,
 * else it is promoted.
 */
export type DeployMode = { kind: 'promote' } | { kind: 'canary'; percent: number } | { kind: 'shadow'; percent: number } | { kind: 'none' } | { kind: 'rollout'; overrides: RolloutOverrides; ifDeclared?: boolean };

export const emptyTraffic = (by: string): TrafficTable => ({ stable: null, routes: [], shadow: null, history: [], updatedAt: Date.now(), updatedBy: by });

const requireVersion = (s: FunctionState, v: string, field = 'version') => {
  if (!s.versions[v]) throw new TrafficError(`function '${s.name}' has no version '${v}'`, field);
};

/** All traffic to `version`; the old stable goes onto the rollback history. */
export function promote(s: FunctionState, version: string, by: string): TrafficTable {
  requireVersion(s, version);
  const t = s.traffic;
  const history = t.stable && t.stable !== version ? [...t.history, t.stable].slice(-20) : t.history;
  return { stable: version, routes: [{ version, weight: 100 }], shadow: t.shadow?.version === version ? null : t.shadow, history, updatedAt: Date.now(), updatedBy: by };
}

/**
 * Back to safety in one step: an ongoing canary or shadow is dropped and the stable version
 * serves everything; with neither, the previous stable version comes back.
 */
export function rollback(s: FunctionState, by: string): TrafficTable {
  const t = s.traffic;
  const experimenting = t.shadow !== null || t.routes.some((r) => r.version !== t.stable);
  if (experimenting && t.stable) {
    return { ...t, routes: [{ version: t.stable, weight: 100 }], shadow: null, updatedAt: Date.now(), updatedBy: by };
  }
  const previous = t.history.at(-1);
  if (!previous || !s.versions[previous]) throw new TrafficError(`function '${s.name}' has no earlier stable version to roll back to`);
  return { stable: previous, routes: [{ version: previous, weight: 100 }], shadow: null, history: t.history.slice(0, -1), updatedAt: Date.now(), updatedBy: by };
}

/**
 * Sets explicit weights (percent, summing to 100). The stable version stays unless it lost all
 * traffic, in which case the heaviest version becomes stable.
 */
export function setWeights(s: FunctionState, routes: { version: string; weight: number }[], by: string): TrafficTable {
  if (routes.length === 0) throw new TrafficError('give at least one version=weight', 'routes');
  const seen = new Set<string>();
  for (const [i, r] of routes.entries()) {
    requireVersion(s, r.version, `routes[${i}].version`);
    if (seen.has(r.version)) throw new TrafficError(`version ${r.version} is listed twice`, `routes[${i}].version`);
    seen.add(r.version);
    if (!Number.isInteger(r.weight) || r.weight < 0 || r.weight > 100) throw new TrafficError(`weight of ${r.version} must be a whole percent 0–100`, `routes[${i}].weight`);
  }
  const sum = routes.reduce((a, r) => a + r.weight, 0);
  if (sum !== 100) throw new TrafficError(`weights must sum to 100, not ${sum}`, 'routes');
  const live = routes.filter((r) => r.weight > 0);
  const t = s.traffic;
  let stable = t.stable;
  let history = t.history;
  if (!stable || !live.some((r) => r.version === stable)) {
    const heaviest = [...live].sort((a, b) => b.weight - a.weight)[0]!.version;
    if (stable && stable !== heaviest) history = [...history, stable].slice(-20);
    stable = heaviest;
  }
  return { ...t, stable, routes: live, history, updatedAt: Date.now(), updatedBy: by };
}

/** Sets or clears the shadow candidate. */
export function setShadow(s: FunctionState, shadow: { version: string; percent: number } | null, by: string): TrafficTable {
  if (shadow) {
    requireVersion(s, shadow.version, 'shadow.version');
    if (!Number.isInteger(shadow.percent) || shadow.percent < 1 || shadow.percent > 100) throw new TrafficError('shadow percent must be a whole number 1–100', 'shadow.percent');
  }
  return { ...s.traffic, shadow, updatedAt: Date.now(), updatedBy: by };
}

/** The traffic after deploying `version` in `mode`. */
export function afterDeploy(s: FunctionState, version: string, mode: DeployMode, by: string): TrafficTable {
  const t = s.traffic;
  switch (mode.kind) {
    case 'none':
      return t;
    case 'promote':
      return promote(s, version, by);
    case 'canary': {
      if (!t.stable || t.stable === version) return promote(s, version, by);
      if (mode.percent < 1 || mode.percent > 99) throw new TrafficError('canary percent must be 1–99', 'canary', 'query');
      return setWeights(s, [{ version: t.stable, weight: 100 - mode.percent }, { version, weight: mode.percent }], by);
    }
    case 'shadow':
      if (!t.stable || t.stable === version) return promote(s, version, by);
      return setShadow(s, { version, percent: mode.percent }, by);
    case 'rollout':
      throw new Error('a rollout starts with startRollout, not afterDeploy');
  }
}

/**
 * The version one call runs. With a routing key, the same key always lands on the same version
 * while the weights stay the same (a hash picks the slot); without one, a weighted draw.
 */
export function pickVersion(t: TrafficTable, routingKey?: string, rand: () => number = Math.random): string | undefined {
  if (t.routes.length === 0) return undefined;
  if (t.routes.length === 1) return t.routes[0]!.version;
  const slot = routingKey === undefined ? rand() * 100 : createHash('sha256').update(routingKey).digest().readUInt32BE(0) % 100;
  let acc = 0;
  for (const r of t.routes) {
    acc += r.weight;
    if (slot < acc) return r.version;
  }
  return t.routes.at(-1)!.version;
}
