import type { Logger } from '../../functions/sdk/index.ts';
import { newJobId, type DoneMessage, type FunctionRecord, type JobSubmitter, type ResultBus, type ShadowStats } from '../../queue/index.ts';

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
    private readonly submitter: JobSubmitter,
    private readonly results: ResultBus,
    private readonly stats: ShadowStats,
    private readonly routerId: string,
    private readonly log: Logger,
  ) {}

  mirror(candidate: FunctionRecord, input: unknown, by: string, deadline: number, primary: Promise<PrimaryOutcome>): void {
    const id = newJobId(candidate.name);
    const started = Date.now();
    const waiting = this.results.wait(id, deadline);
    const run = async () => {
      await this.submitter.submit({ rec: candidate, input, ns: candidate.namespace, by, deadline, replyTo: this.routerId, shadow: true }, id);
      const [shadowMsg, p] = await Promise.all([waiting, primary]);
      const shadowMs = Date.now() - started;
      if (!p.msg) return; // the primary timed out: nothing to compare against
      const servingOk = p.msg.ok;
      const shadowOk = !!shadowMsg?.ok;
      const agree = servingOk && shadowOk ? sameOutput(p.msg.result?.output, shadowMsg!.result?.output) : servingOk === shadowOk && p.msg.error?.code === shadowMsg?.error?.code;
      await this.stats.record(candidate.name, candidate.version, { agree, servingOk, shadowOk, servingMs: p.ms, shadowMs });
    };
    run().catch((err) => this.log.debug('shadow call not recorded', { err, function: candidate.name }));
  }
}

/**
 * Output equality for agreement: structural, key order ignored, numbers compared to 6
 * significant digits (two builds of one model rarely agree to the last bit).
 */
export function sameOutput(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  if (typeof v === 'number') return Number.isFinite(v) ? v.toPrecision(6) : String(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
