import { resolveJsonPointer, type Logger, type Manifest } from '../../functions/sdk/index.ts';
import type { CallGrouper, DoneMessage, SyncCall } from '../../queue/jobs/index.ts';
import type { FunctionRecord, ShadowStats } from '../../queue/cluster/index.ts';

/**
 * The copy to run, as the primary call was made: its input (and `inputJson`, as the client sent
 * it, which saves serializing it again), caller, deadline, and for a copy of an async job, that
 * job's priority.
 */
export type ShadowCopy = Pick<SyncCall, 'input' | 'inputJson' | 'by' | 'deadline' | 'priority'>;

/** A finished primary call, as the router saw it. */
export interface PrimaryOutcome {
  msg: DoneMessage | undefined;
  ms: number;
}

/**
 * Mirrors a live call to the shadow candidate: submits a copy, waits for both outcomes in the
 * background, and records whether the outputs agree and how long each side took. The caller's
 * answer never waits for, or depends on, the shadow.
 */
export class ShadowRunner {
  constructor(
    private readonly calls: CallGrouper,
    private readonly stats: ShadowStats,
    private readonly log: Logger,
  ) {}

  mirror(candidate: FunctionRecord, copy: ShadowCopy, primary: Promise<PrimaryOutcome>): void {
    const started = Date.now();
    const run = async () => {
      // Through the grouper, as live calls go: mirroring every call must not cost a queue job each.
      const { done } = await this.calls.call({ ...copy, rec: candidate, ns: candidate.namespace, shadow: true });
      const [shadowMsg, p] = await Promise.all([done, primary]);
      const shadowMs = Date.now() - started;
      if (!p.msg) return; // the primary timed out: nothing to compare against
      const servingOk = p.msg.ok;
      const shadowOk = !!shadowMsg?.ok;
      const agree = servingOk && shadowOk ? sameAnswer(candidate.manifest, p.msg.result?.output, shadowMsg!.result?.output) : servingOk === shadowOk && p.msg.error?.code === shadowMsg?.error?.code;
      this.stats.record(candidate.name, candidate.version, { agree, servingOk, shadowOk, servingMs: p.ms, shadowMs });
    };
    run().catch((err) => this.log.debug('shadow call not recorded', { err, function: candidate.name }));
  }
}

/**
 * Whether two outputs give the same answer: the part the candidate's manifest names as its answer
 * (`feedback.label`, the JSON Pointer feedback labels are compared with: a risk level, an intent),
 * or the whole output when it names none. A retrained model's scores move in the third decimal on
 * every call; what a caller acts on is the level or the intent, and that is what must agree.
 */
export function sameAnswer(m: Pick<Manifest, 'feedback'>, a: unknown, b: unknown): boolean {
  const at = m.feedback?.label;
  return at === undefined ? sameOutput(a, b) : sameOutput(resolveJsonPointer(a, at), resolveJsonPointer(b, at));
}

/**
 * Relative tolerance of {@link sameOutput} on numbers: half a unit of the sixth significant digit
 * of a number starting with 1 (two builds of one model rarely agree to the last bit).
 */
const OUTPUT_TOLERANCE = 5e-6;

/**
 * Output equality for agreement: structural, key order ignored, numbers equal within
 * {@link OUTPUT_TOLERANCE} of the larger's magnitude. A tolerance rather than rounding both to 6
 * digits: rounding split numbers 1e-14 apart when they straddled a rounding step.
 */
export function sameOutput(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    if (!Number.isFinite(a) || !Number.isFinite(b)) return Object.is(a, b) || a === b;
    return Math.abs(a - b) <= OUTPUT_TOLERANCE * Math.max(Math.abs(a), Math.abs(b));
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameOutput(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && sameOutput(a[k], b[k]));
  }
  // Outputs arrive as JSON, where undefined is null.
  return (a ?? null) === (b ?? null);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
