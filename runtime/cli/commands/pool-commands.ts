import type { Command } from 'commander';
import { ApiError } from '../../client/api-client.ts';
import { CliError, EXIT } from '../cli-error.ts';
import type { CliContext } from '../context.ts';
import { table } from '../output.ts';
import { formatBytes } from '../progress.ts';

type Ctx = () => CliContext;

/** What `GET /readyz` says of the pool (the parts this command shows); `slots` and `workers` only to admin or a viewer of every namespace. */
export interface Readiness {
  ready: boolean;
  reasons: string[];
  slots?: { host: string; device: string; state: string; pid?: number; restarts: number; lastRestart?: string }[];
  workers?: {
    pid: number;
    host: string;
    device: string;
    backend: string;
    isolation?: string;
    inFlight: number;
    jobsDone: number;
    batches?: number;
    restarts?: number;
    rss?: number;
    namespaces?: string[];
    models?: string[];
    gpu?: { memoryUsedBytes: number; memoryTotalBytes: number; utilizationPct?: number; temperatureC?: number };
  }[];
}

/** One worker as `GET /readyz` details it. */
export type ReadinessWorker = NonNullable<Readiness['workers']>[number];

const gib = (n: number) => (n / 1024 ** 3).toFixed(1);

function gpuCell(g: ReadinessWorker['gpu']): string | undefined {
  if (!g) return undefined;
  const extra = [g.utilizationPct === undefined ? '' : `${g.utilizationPct}%`, g.temperatureC === undefined ? '' : `${g.temperatureC}°C`].filter(Boolean).join(' ');
  return `${gib(g.memoryUsedBytes)}/${gib(g.memoryTotalBytes)} GiB${extra ? ` ${extra}` : ''}`;
}

/** One row per device slot of every node, with its worker's figures when it has a live one. */
export function poolTable(r: Readiness & { workers: ReadinessWorker[] }): string {
  // A slot's worker is the process it names: two pools on one node both have a `cpu:0`.
  const byPid = new Map(r.workers.map((w) => [w.pid, w]));
  const workerOf = (s: { host: string; device: string; pid?: number }) => (s.pid === undefined ? r.workers.find((w) => w.host === s.host && w.device === s.device) : byPid.get(s.pid));
  // Slots come from the supervisors; a worker whose supervisor does not report (yet) still shows.
  const slots = [...(r.slots ?? [])];
  for (const w of r.workers) if (!slots.some((s) => workerOf(s) === w)) slots.push({ host: w.host, device: w.device, state: 'running', pid: w.pid, restarts: w.restarts ?? 0 });
  slots.sort((a, b) => a.host.localeCompare(b.host) || a.device.localeCompare(b.device, undefined, { numeric: true }) || (a.pid ?? 0) - (b.pid ?? 0));
  const rows = slots.map((s) => {
    const w = workerOf(s);
    const restarts = s.restarts > 0 && s.lastRestart ? `${s.restarts} (${s.lastRestart})` : s.restarts;
    const namespaces = w ? (w.namespaces?.join(',') ?? '*') : undefined;
    return [s.host, s.device, s.state, s.pid, w?.backend, w?.isolation, namespaces, w?.inFlight, w?.jobsDone, w?.batches, restarts, w?.rss === undefined ? undefined : formatBytes(w.rss), w?.models?.join(', ') || undefined, gpuCell(w?.gpu)];
  });
  const status = r.ready ? 'ready' : `not ready: ${r.reasons.join('; ')}`;
  return `${table(['NODE', 'SLOT', 'STATE', 'PID', 'BACKEND', 'ISOLATION', 'NAMESPACES', 'IN FLIGHT', 'JOBS', 'BATCHES', 'RESTARTS', 'RSS', 'MODELS', 'GPU'], rows)}\n${status}`;
}

/** `autoglm pool`. */
export function registerPoolCommands(program: Command, ctx: Ctx): void {
  program
    .command('pool')
    .description("the worker pool: each node's device slots, their workers, loaded models and GPUs")
    .action(async () => {
      const c = ctx();
      let r: Readiness;
      try {
        r = (await c.api().request<Readiness>('GET', '/readyz')).body;
      } catch (err) {
        // Not ready (no live worker, say) is an answer worth showing, not an error.
        if (!(err instanceof ApiError && err.status === 503 && err.problem && 'counts' in err.problem)) throw err;
        r = err.problem as unknown as Readiness;
      }
      // The router shows the pools' detail (every namespace's) only to admin or a viewer of every namespace.
      const { workers } = r;
      // A refusal by the server's rules, not a bad command line.
      if (!workers) throw new CliError("the pool's detail needs a token of admin, or of a viewer of every namespace (*)", EXIT.server);
      c.out.print(r, () => poolTable({ ...r, workers }));
    });
}
