import type { Command } from 'commander';
import type { DriftReport } from '../../drift/index.ts';
import type { CliContext } from '../context.ts';
import { table } from '../output.ts';

type Ctx = () => CliContext;

/** The human form of a drift report: a line per feature, worst first. */
export function driftText(r: DriftReport): string {
  const order = { drift: 0, warn: 1, ok: 2, insufficient: 3 };
  const rows = [...r.features]
    .sort((a, b) => order[a.status] - order[b.status] || b.psi - a.psi)
    .map((f) => [f.name, f.status === 'insufficient' ? '-' : f.psi.toFixed(3), f.status === 'drift' ? 'DRIFT' : f.status, f.count]);
  const head = `${r.function}@${r.version}: live inputs of the last ${Math.round(r.windowMs / 60_000)} min against the training baseline (warn ≥ ${r.thresholds.warn}, drift ≥ ${r.thresholds.drift}; a verdict after ${r.minCount} values)`;
  const skipped = r.skipped ? [`${r.skipped} input(s) gave no features`] : [];
  return [head, table(['FEATURE', 'PSI', 'STATUS', 'VALUES'], rows), ...skipped].join('\n');
}

/** autoglm drift <name> [--version v] */
export function registerDriftCommands(program: Command, ctx: Ctx): void {
  program
    .command('drift <name>')
    .description("how a function's live inputs compare with its training data: PSI per feature over its window")
    .option('--version <version>', 'a version of the function [its stable version]')
    .action(async (name: string, o: { version?: string }) => {
      const c = ctx();
      const q = o.version ? `?version=${encodeURIComponent(o.version)}` : '';
      const r = (await c.api().request<DriftReport>('GET', `/v1/functions/${encodeURIComponent(name)}/drift${q}`)).body;
      c.out.print(r, () => driftText(r));
    });
}
