import type { Command } from 'commander';
import { ApiError } from '../../client/api-client.ts';
import type { CliContext } from '../context.ts';
import { table } from '../output.ts';
import { formatBytes } from '../progress.ts';

type Ctx = () => CliContext;

/** What `GET /readyz` says of the pool (the parts this command shows). */
interface Readiness {
  ready: boolean;
  reasons: string[];
  slots?: { host: string; device: string; state: string; pid?: number; restarts: number; lastRestart?: string }[];
  workers: {
    host: string;
    device: string;
    backend: string;
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

type Worker = Readiness['workers'][number];

const gib = (n: number) => (n / 1024 ** 3).toFixed(1);

function gpuCell(g: Worker['gpu']): string | undefined {
  if (!g) return undefined;
  const extra = [g.utilizationPct === undefined ? '' : `${g.utilizationPct}%`, g.temperatureC === undefined ? '' : `${g.temperatureC}°C`].filter(Boolean).join(' ');
  return `${gib(g.memoryUsedBytes)}/${gib(g.memoryTotalBytes)} GiB${extra ? ` ${extra}` : ''}`;
}

/** One row per device slot of every node, with its worker's figures when it has a live one. */
function poolTable(r: Readiness): string {
  const key = (host: string, device: string) => `${host}/${device}`;
  const workers = new Map(r.workers.map((w) => [key(w.host, w.device), w]));
  // Slots come from the supervisors; a worker whose supervisor does not report (yet) still shows.
  const slots = [...(r.slots ?? [])];
  for (const w of r.workers) if (!slots.some((s) => key(s.host, s.device) === key(w.host, w.device))) slots.push({ host: w.host, device: w.device, state: 'running', restarts: w.restarts ?? 0 });
  slots.sort((a, b) => a.host.localeCompare(b.host) || a.device.localeCompare(b.device, undefined, { numeric: true }));
  const rows = slots.map((s) => {
    const w = workers.get(key(s.host, s.device));
    const restarts = s.restarts > 0 && s.lastRestart ? `${s.restarts} (${s.lastRestart})` : s.restarts;
    const namespaces = w ? (w.namespaces?.join(',') ?? '*') : undefined;
    return [s.host, s.device, s.state, s.pid, w?.backend, namespaces, w?.inFlight, w?.jobsDone, w?.batches, restarts, w?.rss === undefined ? undefined : formatBytes(w.rss), w?.models?.join(', ') || undefined, gpuCell(w?.gpu)];
  });
  const status = r.ready ? 'ready' : `not ready: ${r.reasons.join('; ')}`;
  return `${table(['NODE', 'SLOT', 'STATE', 'PID', 'BACKEND', 'NAMESPACES', 'IN FLIGHT', 'JOBS', 'BATCHES', 'RESTARTS', 'RSS', 'MODELS', 'GPU'], rows)}\n${status}`;
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
        if (!(err instanceof ApiError && err.status === 503 && err.problem && 'workers' in err.problem)) throw err;
        r = err.problem as unknown as Readiness;
      }
      c.out.print(r, () => poolTable(r));
    });
}
