import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseExposition } from '../harness/exposition.ts';
import { eventually } from '../harness/platform.ts';
import { poolSuite } from './pool-helpers.ts';

/** infra/prometheus and infra/grafana: what operators with Prometheus and Grafana load. */
const infra = (path: string) => fileURLToPath(new URL(`../../infra/${path}`, import.meta.url));
const suite = poolSuite('monitoring');

/** Debian's `prometheus` package has it; `.ci/run` installs it. */
function promtool(args: string[], cwd: string): { status: number | null; out: string } {
  const r = spawnSync('promtool', args, { cwd, encoding: 'utf8' });
  if (r.error) throw new Error(`promtool is needed (apt-get install prometheus): ${r.error.message}`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const dashboard = () => JSON.parse(readFileSync(infra('grafana/dashboards/autoglm.json'), 'utf8')) as { panels: { title: string; type: string; datasource?: { uid: string }; targets?: { expr: string }[] }[] };

/** The metric families an expression reads (a histogram's `_bucket`, `_sum` and `_count` are its family). */
const familiesIn = (text: string): string[] => [...new Set([...text.matchAll(/autoglm_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, '')))];

/**
 * Series not exposed by this test's platform, each checked to be written where it comes from:
 * a GPU worker's readings (none on this CPU-only machine), and PSI, which needs a version that
 * watches drift and enough live values (drift.test.ts scrapes it from a running platform).
 */
const NOT_HERE: Record<string, string> = {
  autoglm_gpu_memory_used_bytes: 'runtime/metrics/platform-metrics.ts',
  autoglm_gpu_memory_total_bytes: 'runtime/metrics/platform-metrics.ts',
  autoglm_gpu_utilization_ratio: 'runtime/metrics/platform-metrics.ts',
  autoglm_gpu_temperature_celsius: 'runtime/metrics/platform-metrics.ts',
  autoglm_feature_psi: 'runtime/metrics/drift-metrics.ts',
};

describe('dashboards and alerts', () => {
  it('promtool accepts the alert rules, and their unit tests pass: each alert fires on its series and not on the healthy ones beside them', () => {
    const check = promtool(['check', 'rules', 'alerts.yaml'], infra('prometheus'));
    expect(check.out).toContain('SUCCESS: 9 rules found');
    expect(check.status).toBe(0);
    const tests = promtool(['test', 'rules', 'alerts.test.yaml'], infra('prometheus'));
    expect(tests.out).toContain('SUCCESS');
    expect(tests.status).toBe(0);
  });

  it('promtool accepts the Prometheus configuration of the Compose monitoring profile', () => {
    const dir = mkdtempSync(join(tmpdir(), 'autoglm-prom-'));
    try {
      // As mounted in the container, with the token file the README says to create.
      writeFileSync(join(dir, 'autoglm-token'), 'a-token\n');
      writeFileSync(join(dir, 'prometheus.yaml'), readFileSync(infra('prometheus/prometheus.yaml'), 'utf8').replace('/etc/prometheus/autoglm-token', join(dir, 'autoglm-token')));
      copyFileSync(infra('prometheus/alerts.yaml'), join(dir, 'alerts.yaml'));
      const r = promtool(['check', 'config', 'prometheus.yaml'], dir);
      expect(r.out).toContain('SUCCESS');
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("every panel reads the provisioned data source, and every series the rules and the dashboard read is one a running platform exposes", async () => {
    const provisioned = readFileSync(infra('grafana/provisioning/datasources/prometheus.yaml'), 'utf8').match(/uid: (\S+)/)![1];
    const panels = dashboard().panels.filter((p) => p.type !== 'row');
    expect(panels.length).toBeGreaterThan(10);
    for (const p of panels) expect(p.datasource?.uid, p.title).toBe(provisioned);
    const wanted = familiesIn([readFileSync(infra('prometheus/alerts.yaml'), 'utf8'), ...panels.flatMap((p) => p.targets!.map((t) => t.expr))].join('\n'));
    expect(wanted.length).toBeGreaterThan(12);

    // At sandbox isolation, so sandbox deaths are counted (a thread has none).
    const p = await suite.start({ env: { AUTOGLM_ISOLATION: 'sandbox' } });
    expect((await p.call('POST', '/v1/functions/echo/invoke', { input: { hi: 1 } })).status).toBe(200);
    expect((await p.call('POST', '/v1/functions/echo/jobs', { input: { hi: 2 } })).status).toBe(202);
    expect((await p.call('GET', '/v1/audit/verify')).status).toBe(200);
    const exposed = await eventually(async () => {
      const families = new Set(parseExposition((await p.call('GET', '/metrics')).json as string).samples.map((s) => s.name.replace(/_(bucket|sum|count)$/, '')));
      // Function figures come with a worker's heartbeat after its first batch.
      return families.has('autoglm_function_batch_size') && families;
    }, 'the workers to report their function figures');
    const source = (file: string) => readFileSync(fileURLToPath(new URL(`../../${file}`, import.meta.url)), 'utf8');
    for (const name of wanted) {
      if (NOT_HERE[name]) expect(source(NOT_HERE[name]), name).toContain(`'${name}'`);
      else expect(exposed.has(name), `${name} is read by a rule or panel but not exposed`).toBe(true);
    }
  });
});
