import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { Command } from 'commander';
import { CliError, EXIT } from '../cli-error.ts';
import type { CliContext } from '../context.ts';
import { plural, table } from '../output.ts';
import { progressBar } from '../progress.ts';

type Ctx = () => CliContext;

interface TrainOptions {
  data?: string;
  fromFeedback?: boolean;
  since?: string;
  then: string;
  version?: string;
  wait?: boolean;
}

const ENDS = ['succeeded', 'rejected', 'failed', 'cancelled'];
const THEN = ['shadow', 'rollout', 'none'];

const num = (x: unknown) => (typeof x === 'number' ? (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(4)) : '-');
const metricsText = (m: Record<string, number> | undefined) => (m ? Object.entries(m).map(([k, v]) => `${k} ${num(v)}`).join(', ') : '-');

/** One line of a training's progress: where it is and what it last said. */
export function progressText(t: any): string {
  const p = t.progress ?? {};
  const parts = [t.status];
  if (p.epoch !== undefined) parts.push(`epoch ${p.epoch}${p.epochs ? `/${p.epochs}` : ''}`);
  if (p.step !== undefined) parts.push(`step ${p.step}${p.steps ? `/${p.steps}` : ''}`);
  if (p.loss !== undefined) parts.push(`loss ${num(p.loss)}`);
  if (p.metrics) parts.push(metricsText(p.metrics));
  if (p.message) parts.push(p.message);
  return parts.join(' · ');
}

/** How far along a training is, 0..1, from its progress (epochs, then steps within them); undefined when it does not say. */
function fraction(p: any): number | undefined {
  if (!p?.epochs) return p?.steps ? p.step / p.steps : undefined;
  const within = p.steps ? (p.step ?? 0) / p.steps : 1;
  return Math.min(1, (Math.max(0, (p.epoch ?? 1) - 1) + within) / p.epochs);
}

/** A training as text: status, dataset, progress, and how it ended. */
export function trainingText(t: any): string {
  const lines = [`${t.id}: ${t.function}@${t.version} ${t.status.toUpperCase()} (then ${t.then}, ${t.device})`, `dataset: ${plural(t.dataset.records, 'record')} (${t.dataset.source}), ${Math.round(t.dataset.heldOut * 100)}% held out, sha256 ${t.dataset.hash.slice(0, 16)}…`];
  if (t.progress) lines.push(`progress: ${progressText(t)}`);
  const r = t.result;
  if (r) {
    lines.push(`new version: ${r.version} — ${r.primaryMetric} ${num(r.metrics[r.primaryMetric])} against stable's ${num(r.baseline?.[r.primaryMetric])} (${r.verdict})`);
    lines.push(`held-out metrics: ${metricsText(r.metrics)}`, `stable on the same records: ${metricsText(r.baseline)}`);
    lines.push(r.deployed === 'none' ? `not deployed${r.reason ? `: ${r.reason}` : ' (then none)'}` : `deployed as ${r.deployed === 'shadow' ? 'a shadow of stable' : 'a rollout'}`);
  }
  if (t.error) lines.push(`error: ${t.error.code}: ${t.error.message}`);
  if (t.cancel) lines.push(`cancel asked by ${t.cancel.by} at ${t.cancel.at}`);
  return lines.join('\n');
}

/** The dataset to send: a file (`@file.jsonl`, or a plain path), or standard input (`-`). */
function datasetBody(spec: string): { stream: ReadableStream<Uint8Array>; size?: number; counted: () => number } {
  const path = spec.startsWith('@') ? spec.slice(1) : spec;
  let counted = 0;
  const source = path === '-' ? process.stdin : createReadStream(path, { highWaterMark: 256 * 1024 });
  let size: number | undefined;
  if (path !== '-') {
    try {
      size = statSync(path).size;
    } catch (err) {
      throw new CliError(`--data: cannot read ${path}: ${(err as Error).message}`, EXIT.usage);
    }
  }
  source.on('data', (c: Buffer | string) => void (counted += c.length));
  return { stream: Readable.toWeb(source) as ReadableStream<Uint8Array>, ...(size !== undefined ? { size } : {}), counted: () => counted };
}

/** Polls a training until it ends, drawing its progress on a terminal. */
async function follow(c: CliContext, id: string): Promise<any> {
  const tty = process.stderr.isTTY;
  let last = '';
  for (;;) {
    const t = (await c.api().request('GET', `/v1/trainings/${encodeURIComponent(id)}`)).body;
    const line = progressText(t);
    const f = fraction(t.progress);
    if (tty) {
      const bar = f === undefined ? '' : `[${'#'.repeat(Math.round(f * 30)).padEnd(30, '.')}] ${(f * 100).toFixed(0).padStart(3)}% `;
      process.stderr.write(`\r\x1b[K${bar}${line}`);
    } else if (line !== last) {
      process.stderr.write(`${line}\n`);
    }
    last = line;
    if (ENDS.includes(t.status)) {
      if (tty) process.stderr.write('\n');
      return t;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Follows a training to its end and prints it; a training that did not succeed fails the command (exit 1), as a failed job does. */
async function followToEnd(c: CliContext, id: string): Promise<void> {
  const t = await follow(c, id);
  c.out.print(t, () => trainingText(t));
  if (t.status !== 'succeeded') process.exitCode = EXIT.jobFailed;
}

/** `train <name>` and `training status|ls|cancel`. */
export function registerTrainCommands(program: Command, ctx: Ctx): void {
  program
    .command('train <name>')
    .description("train a new version of a function on the pool (its manifest's `training`, its `train` export): the result is a version with its evaluation, deployed as --then says unless it is worse than stable")
    .option('--data <file>', 'a JSON Lines dataset: @file.jsonl (or a path; - for standard input), one record a line')
    .option('--from-feedback', "learn from the function's feedback records instead")
    .option('--since <time>', 'with --from-feedback: records given from then on (30d, or an ISO time)')
    .option('--then <what>', 'shadow (a shadow of stable), rollout (the metric-gated rollout) or none', 'none')
    .option('--version <version>', 'the version to retrain [stable]')
    .option('--wait', 'follow the training to its end, with its progress')
    .action(async (name: string, o: TrainOptions) => {
      const c = ctx();
      if (Boolean(o.data) === Boolean(o.fromFeedback)) throw new CliError(`give --data <file.jsonl> or --from-feedback${o.data ? ', not both' : ''}`, EXIT.usage);
      if (o.since && !o.fromFeedback) throw new CliError('--since applies to --from-feedback', EXIT.usage);
      if (!THEN.includes(o.then)) throw new CliError(`--then must be one of ${THEN.join(', ')}, got ${o.then}`, EXIT.usage);
      const q = new URLSearchParams({ then: o.then, ...(o.version ? { version: o.version } : {}), ...(o.fromFeedback ? { fromFeedback: 'true' } : {}), ...(o.since ? { since: o.since } : {}) });
      const path = `/v1/functions/${encodeURIComponent(name)}/trainings?${q}`;
      let r;
      if (o.data) {
        const body = datasetBody(o.data);
        const bar = progressBar('upload');
        const tick = body.size ? setInterval(() => bar.update(body.counted(), body.size!), 200) : undefined;
        try {
          r = await c.api().request('POST', path, { raw: body.stream, duplex: true, headers: { 'content-type': 'application/x-ndjson', ...(body.size !== undefined ? { 'content-length': String(body.size) } : {}) } });
        } finally {
          if (tick) clearInterval(tick);
          if (body.size) bar.update(body.counted(), body.size);
          bar.done();
        }
      } else {
        r = await c.api().request('POST', path);
      }
      const started = r.body;
      if (!o.wait) {
        c.out.print(started, () => `training ${started.id} queued: ${plural(started.dataset.records, 'record')}; follow it with \`autoglm training status ${started.id}\``);
        return;
      }
      process.stderr.write(`training ${started.id}: ${plural(started.dataset.records, 'record')} (Ctrl-C stops following, not the training: \`autoglm training cancel ${started.id}\`)\n`);
      await followToEnd(c, started.id);
    });

  const training = program.command('training').description('trainings started by `autoglm train`');
  training
    .command('status <id>')
    .description('status, progress, and the version it made with its evaluation')
    .option('--wait', 'follow it to its end; exit 1 unless it succeeded')
    .action(async (id: string, o: { wait?: boolean }) => {
      const c = ctx();
      if (o.wait) return followToEnd(c, id);
      const t = (await c.api().request('GET', `/v1/trainings/${encodeURIComponent(id)}`)).body;
      c.out.print(t, () => trainingText(t));
    });
  training
    .command('ls <name>')
    .description("a function's trainings, newest first")
    .action(async (name: string) => {
      const c = ctx();
      const items = (await c.api().request('GET', `/v1/functions/${encodeURIComponent(name)}/trainings`)).body.items as any[];
      c.out.print(items, () =>
        items.length === 0
          ? `${name} has no trainings`
          : table(
              ['id', 'status', 'from', 'records', 'new version', 'primary metric', 'deployed', 'created'],
              items.map((t) => [t.id, t.status, t.version, String(t.dataset.records), t.result?.version ?? '-', t.result ? `${t.result.primaryMetric} ${num(t.result.metrics[t.result.primaryMetric])} vs ${num(t.result.baseline?.[t.result.primaryMetric])}` : '-', t.result?.deployed ?? '-', t.createdAt.slice(0, 19)]),
            ),
      );
    });
  training
    .command('cancel <id>')
    .description('stop a training: no version is made, its slot is freed')
    .action(async (id: string) => {
      const c = ctx();
      const t = (await c.api().request('POST', `/v1/trainings/${encodeURIComponent(id)}/cancel`)).body;
      c.out.print(t, () => (t.status === 'cancelled' ? `training ${id} cancelled` : `training ${id}: cancel asked; its worker is stopping it`));
    });
}
