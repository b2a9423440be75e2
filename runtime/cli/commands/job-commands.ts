import type { Command } from 'commander';
import { ApiError, type ApiClient } from '../../client/api-client.ts';
import { CliError, EXIT } from '../cli-error.ts';
import type { CliContext } from '../context.ts';
import { durationMs } from '../duration.ts';
import { plural, table } from '../output.ts';
import { spinner } from '../progress.ts';
import { readData, readInputs } from './data.ts';
import { waterfallText } from './trace-waterfall.ts';

type Ctx = () => CliContext;

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** Long-polls a job until it ends or `timeoutMs` passes, showing a spinner on a terminal. */
async function waitJob(api: ApiClient, id: string, timeoutMs: number): Promise<any> {
  const end = Date.now() + timeoutMs;
  const spin = spinner(`waiting for ${id}`);
  try {
    for (;;) {
      const left = Math.max(0, end - Date.now());
      const wait = Math.min(30_000, left);
      const r = await api.request('GET', `/v1/jobs/${encodeURIComponent(id)}?wait=${wait}ms`, { holdMs: wait });
      if (FINAL.has(r.body.status) || Date.now() >= end) return r.body;
    }
  } finally {
    spin.stop();
  }
}

const jobLine = (j: any) => `${j.id}  ${j.status}  ${j.function}@${j.version}  attempts ${j.attempts}/${j.maxAttempts}${j.error ? `  ${j.error.code}: ${j.error.message}` : ''}`;

/** Prints a job and fails the process (exit 1) when it failed or was cancelled. */
/** A bulk job's outcome, one line per input: its index and output, or its error. */
const itemLines = (j: any) =>
  (j.items as any[]).map((it, i) => (it.status === 'succeeded' ? `${i}\t${JSON.stringify(it.output)}` : `${i}\t${it.status}\t${it.error?.code ?? ''}: ${it.error?.message ?? ''}`)).join('\n');

function finish(c: CliContext, job: any): void {
  c.out.print(job, () => (job.status !== 'succeeded' ? jobLine(job) : job.items ? itemLines(job) : JSON.stringify(job.output, null, 2)));
  if (job.itemsFailed) throw new CliError(`job ${job.id}: ${job.itemsFailed} of ${plural(job.itemCount, 'input')} failed`, EXIT.jobFailed);
  if (job.status === 'failed' || job.status === 'cancelled') throw new CliError(`job ${job.id} ${job.status}${job.error ? `: ${job.error.message} (${job.error.code})` : ''}`, EXIT.jobFailed);
  if (!FINAL.has(job.status)) throw new CliError(`job ${job.id} is still ${job.status}; the wait ran out`, EXIT.jobFailed);
}

/** invoke, jobs get|wait|cancel|retry|ls|trace. */
export function registerJobCommands(program: Command, ctx: Ctx): void {
  program
    .command('invoke <name>')
    .description('call a function (`name` or `name@version`); prints its output')
    .option('-d, --data <json>', 'input: JSON, @file or - for standard input', undefined)
    .option('--inputs <json>', 'a bulk job (implies --async): a JSON array of inputs, or JSON Lines, inline, @file or -', undefined)
    .option('--stream', 'print what the function emits as it comes (Server-Sent Events), then its output')
    .option('--async', 'submit a job and print its id')
    .option('--wait', 'with --async: wait for the job and print its result')
    .option('--timeout <duration>', 'longest wait, e.g. 30s', '5m')
    .option('--routing-key <key>', 'stay on the same version as other calls with this key')
    .option('--priority <n>', 'a job (--async, --inputs): 1 runs first, 10 last among queued jobs [5]')
    .action(async (name: string, o: { data?: string; inputs?: string; stream?: boolean; async?: boolean; wait?: boolean; timeout: string; routingKey?: string; priority?: string }) => {
      const c = ctx();
      if (o.inputs !== undefined && o.data !== undefined) throw new CliError('give --data (one input) or --inputs (a bulk job), not both', EXIT.usage);
      const inputs = o.inputs === undefined ? undefined : readInputs(o.inputs);
      const input = inputs ? undefined : readData(o.data);
      const timeoutMs = durationMs(o.timeout);
      const headers = o.routingKey ? { 'x-routing-key': o.routingKey } : undefined;
      const path = `/v1/functions/${encodeURIComponent(name)}`;
      if (o.stream && (o.async || inputs)) throw new CliError('--stream shows a synchronous call as it runs: not with --async or --inputs', EXIT.usage);
      if (!o.async && !inputs) {
        if (o.priority !== undefined) throw new CliError('--priority orders queued jobs: use it with --async or --inputs (sync calls always go first)', EXIT.usage);
        const body = { input, timeoutMs: Math.min(timeoutMs, 3_600_000) };
        // No spinner while streaming: the chunks are the progress.
        const spin = o.stream ? undefined : spinner(`invoking ${name}`);
        let r;
        let streamed = false;
        try {
          // The server answers when the function ends: its deadline, not the client's, bounds the wait.
          const call = { holdMs: body.timeoutMs, ...(headers ? { headers } : {}) };
          r = o.stream ? await c.api().invokeStream(`${path}/invoke`, body, (chunk) => ((streamed = true), c.out.chunk(chunk)), call) : await c.api().request('POST', `${path}/invoke`, { body, ...call });
        } catch (err) {
          // The function ran and failed: that is a failed job, not a refused request.
          if (err instanceof ApiError && err.problem?.jobId) throw new CliError(`${name} failed: ${err.message} (${err.code}, job ${err.problem.jobId})`, EXIT.jobFailed);
          throw err;
        } finally {
          spin?.stop();
        }
        // Text chunks end without a newline: the output starts on a line of its own.
        if (streamed && !c.out.json) c.out.chunk('\n');
        const dropped = r.body.dropped ? `, ${plural(r.body.dropped, 'chunk')} dropped` : '';
        c.out.print(r.body, () => JSON.stringify(r.body.output, null, 2));
        // On stderr: stdout stays the output alone, for `| jq`.
        if (!c.out.json) process.stderr.write(`(${r.body.function}@${r.body.version}, job ${r.body.id}, ${r.body.timings.totalMs} ms${dropped})\n`);
        return;
      }
      // The server checks the range and names the field when it is off; a non-number is ours to catch.
      if (o.priority !== undefined && !Number.isInteger(Number(o.priority))) throw new CliError(`--priority takes a whole number, 1 (first) to 10 (last), not '${o.priority}'`, EXIT.usage);
      const priority = o.priority === undefined ? {} : { priority: Number(o.priority) };
      const r = await c.api().request('POST', `${path}/jobs`, { body: { ...(inputs ? { inputs } : { input }), ...priority }, ...(headers ? { headers } : {}) });
      if (!o.wait) {
        c.out.print(r.body, () => r.body.id);
        return;
      }
      finish(c, await waitJob(c.api(), r.body.id, timeoutMs));
    });

  const jobs = program.command('jobs').description('read, wait for, cancel and list jobs');
  jobs
    .command('get <id>')
    .description('show a job')
    .action(async (id: string) => {
      const c = ctx();
      const r = await c.api().request('GET', `/v1/jobs/${encodeURIComponent(id)}`);
      c.out.print(r.body, () => `${jobLine(r.body)}${r.body.status === 'succeeded' ? `\n${JSON.stringify(r.body.output, null, 2)}` : ''}`);
    });
  jobs
    .command('wait <id>')
    .description('wait for a job to end; exit 1 if it failed')
    .option('--timeout <duration>', 'longest wait', '5m')
    .action(async (id: string, o: { timeout: string }) => {
      const c = ctx();
      finish(c, await waitJob(c.api(), id, durationMs(o.timeout)));
    });
  jobs
    .command('cancel <id>')
    .description('cancel a job that has not started')
    .action(async (id: string) => {
      const c = ctx();
      const r = await c.api().request('DELETE', `/v1/jobs/${encodeURIComponent(id)}`);
      c.out.print(r.body, () => jobLine(r.body));
    });
  jobs
    .command('trace <id>')
    .description("show a job's trace as a waterfall: router, queue wait, worker, batch, handler")
    .action(async (id: string) => {
      const c = ctx();
      const r = await c.api().request('GET', `/v1/jobs/${encodeURIComponent(id)}/trace`);
      c.out.print(r.body, () => waterfallText(r.body));
    });
  jobs
    .command('retry <id>')
    .description('run a failed job (a dead letter) again: same id, input and version')
    .option('--wait', 'wait for the retried job and print its result; exit 1 if it failed again')
    .option('--timeout <duration>', 'with --wait: longest wait', '5m')
    .action(async (id: string, o: { wait?: boolean; timeout: string }) => {
      const c = ctx();
      const r = await c.api().request('POST', `/v1/jobs/${encodeURIComponent(id)}/retry`);
      if (!o.wait) return c.out.print(r.body, () => jobLine(r.body));
      finish(c, await waitJob(c.api(), id, durationMs(o.timeout)));
    });
  jobs
    .command('ls')
    .description('list recent jobs, newest first, of every function you may read (--status failed: the dead letters)')
    .option('-f, --function <name>', 'only this function')
    .option('-n, --namespace <ns>', 'only functions of this namespace')
    .option('--status <status>', 'queued, running, succeeded or failed [all]')
    .option('--limit <n>', 'at most this many', '50')
    .option('--cursor <cursor>', 'the page after the one that printed this cursor')
    .action(async (o: { function?: string; namespace?: string; status?: string; limit: string; cursor?: string }) => {
      const c = ctx();
      const q = new URLSearchParams({ limit: o.limit });
      for (const k of ['function', 'namespace', 'status', 'cursor'] as const) if (o[k] !== undefined) q.set(k, o[k]!);
      const r = await c.api().request('GET', `/v1/jobs?${q}`);
      c.out.print(r.body, () => {
        const rows = table(['ID', 'STATUS', 'VERSION', 'ATTEMPTS', 'QUEUED', 'ERROR'], r.body.items.map((j: any) => [j.id, j.status, j.version, `${j.attempts}/${j.maxAttempts}`, j.timings.queued, j.error ? `${j.error.code}: ${j.error.message}` : '']));
        return r.body.next ? `${rows}\nmore: --cursor ${r.body.next}` : rows;
      });
    });
}
