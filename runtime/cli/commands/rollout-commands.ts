import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { table } from '../output.ts';

type Ctx = () => CliContext;

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `${(x * 100).toFixed(1)}%`);
const ms = (s: number | null) => (s === null ? '-' : `${(s * 1000).toFixed(1)} ms`);
const hhmmss = (iso: string) => iso.slice(11, 19);

type Gate = { gate: string; value: number | null; limit: number; ok: boolean | null };
type Window = { stage: number; from: string; to: string; calls: number; failed: number; stableCalls: number; p95: number | null; stableP95: number | null; gates: Gate[]; verdict: string; reason: string };
type Stage = { kind: string; weight?: number; percent?: number };

const stageText = (s: Stage) => (s.kind === 'shadow' ? `shadow ${s.percent}%` : s.kind === 'canary' ? `${s.weight}%` : '100% (promote)');
/** A gate's reading as the analysis words it: ratios and feedback drops as numbers, shares as percents. */
const gateText = (g: Gate | undefined) => (!g ? '-' : `${g.value === null ? '-' : g.gate === 'p95Ratio' ? g.value.toFixed(2) : g.gate === 'feedbackDrop' ? g.value.toFixed(3) : pct(g.value)}${g.ok === false ? ' ✗' : ''}`);

/** A rollout's status as text: where it is, the plan, and its windows' figures and verdicts. */
export function rolloutText(b: any): string {
  const steps = (b.steps as Stage[]).map((s, i) => (i === b.step ? `[${stageText(s)}]` : stageText(s))).join(' → ');
  const lines = [
    `${b.function}: ${b.state.toUpperCase()} ${b.version} against stable ${b.stable}, at ${b.weight}%${b.driver ? ` (driven by ${b.driver})` : ''}`,
    `steps: ${steps}; windows of ${b.plan.interval / 1000} s, minCalls ${b.plan.minCalls}, failures ${b.failures}/${b.plan.failureLimit}`,
  ];
  if (b.reason) lines.push(`reason: ${b.reason}`);
  if (b.nextVerdictAt) lines.push(`next verdict after ${hhmmss(b.nextVerdictAt)}`);
  const rows = (b.windows as Window[]).slice(-12).map((w) => {
    const g = (name: string) => gateText(w.gates.find((x) => x.gate === name));
    return [`${hhmmss(w.from)}–${hhmmss(w.to)}`, stageText(b.steps[w.stage]), String(w.calls), String(w.failed), g('successRate'), `${ms(w.p95)} / ${ms(w.stableP95)}`, g('p95Ratio'), g('shadowAgreement'), g('feedbackDrop'), w.verdict];
  });
  if (rows.length) lines.push(table(['window', 'step', 'calls', 'failed', 'success', 'p95 new/stable', 'ratio', 'agree', 'fb drop', 'verdict'], rows));
  return lines.join('\n');
}

/** rollout status|pause|resume|abort: follow and steer a rollout. */
export function registerRolloutCommands(program: Command, ctx: Ctx): void {
  const rollout = program.command('rollout').description("a function's rollout under analysis (started by `autoglm deploy --rollout`)");
  rollout
    .command('status <name>')
    .description('state, step, weight, and every window with its figures and verdict')
    .action(async (name: string) => {
      const c = ctx();
      const r = await c.api().request('GET', `/v1/functions/${encodeURIComponent(name)}/rollout`);
      c.out.print(r.body, () => rolloutText(r.body));
    });
  for (const [action, description] of [
    ['pause', 'hold the rollout at its step: no verdicts, no steps, until resumed'],
    ['resume', 'move a paused rollout on from its step, with a fresh window'],
    ['abort', 'roll back now: the traffic from before the rollout returns exactly'],
  ] as const) {
    rollout
      .command(`${action} <name>`)
      .description(description)
      .action(async (name: string) => {
        const c = ctx();
        const r = await c.api().request('POST', `/v1/functions/${encodeURIComponent(name)}/rollout/${action}`);
        c.out.print(r.body, () => rolloutText(r.body));
      });
  }
}
