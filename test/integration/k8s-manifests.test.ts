/**
 * infra/k8s without a cluster: each kustomization (the default and every overlay) is rendered as
 * kustomize would, every object is checked against its kind's schema, and every workload against
 * the invariants that make it scale and survive disruption (issue #25): requests and limits,
 * probes, one disruption budget, non-root and locked-down pods, topology spread, drain times.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { parseDuration } from '../../functions/sdk/index.ts';
import { eventually } from '../harness/eventually.ts';
import { renderKustomization, type K8sObject } from './k8s/kustomize-render.ts';
import { canMakePodNetworks, PodNetwork, type PodSpec } from './k8s/pod-network.ts';
import { autoscalerProblems, podTemplate, preStopSleep, ref, selects, serviceProblems, templates, workloadProblems, type WorkloadRules } from './k8s/manifest-checks.ts';

const K8S = fileURLToPath(new URL('../../infra/k8s/', import.meta.url));
const DOCKERFILE = fileURLToPath(new URL('../../infra/Dockerfile', import.meta.url));
const COMPOSE = fileURLToPath(new URL('../../infra/compose.yaml', import.meta.url));
const SCRAPE_EXAMPLE = fileURLToPath(new URL('../../infra/prometheus-scrape.example.yaml', import.meta.url));
const FUNCTIONS = fileURLToPath(new URL('../../functions/', import.meta.url));
/** The default deployment and every overlay: a new overlay is checked without being named here. */
const RENDERS: [string, string][] = [['default', K8S], ...readdirSync(join(K8S, 'overlays')).map((o): [string, string] => [`overlays/${o}`, join(K8S, 'overlays', o)])];

const RULES: WorkloadRules = {
  // Every workload has probes (the pool's on its health endpoint, AUTOGLM_POOL_HEALTH_PORT).
  withoutProbes: {},
  // The pool's supervisor kills a worker 2 s after the grace, then releases Redis for up to 5 s
  // (RELEASE_REDIS_MS); the router closes its Redis connections after draining.
  shutdownMarginS: 7,
  parseDuration: (v) => parseDuration(v),
};

const find = (objects: K8sObject[], kind: string, name: string): K8sObject => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind}/${name} in the render`);
  return o;
};
const container = (w: K8sObject, name: string): any => podTemplate(w).spec.containers.find((c: any) => c.name === name);
const env = (c: any, name: string): string | undefined => c.env?.find((e: any) => e.name === name)?.value;
/** The shell script a container runs with `sh -c`. */
const script = (c: any): string => (c.command?.[0] === 'sh' ? String(c.args?.[0] ?? '') : '');

/** The Ajv validator that kubernetes-models (or its KEDA package) compiled from the kind's OpenAPI schema. */
async function schemaOf(o: K8sObject): Promise<{ validate(): void } & (new (data: unknown) => { validate(): void })> {
  const path = o.apiVersion === 'keda.sh/v1alpha1' ? `@kubernetes-models/keda/keda.sh/v1alpha1/${o.kind}` : `kubernetes-models/${o.apiVersion}/${o.kind}`;
  const mod = await import(path).catch(() => undefined);
  if (!mod?.[o.kind]) throw new Error(`${ref(o)}: no schema for ${o.apiVersion} ${o.kind}`);
  return mod[o.kind];
}
async function schemaProblems(objects: K8sObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const o of objects) {
    try {
      new (await schemaOf(o))(o).validate();
    } catch (err) {
      problems.push(`${ref(o)}: ${(err as Error).message}`);
    }
  }
  return problems;
}

/**
 * Whether a pod with `from` labels may open `port` on pods with `to` labels, by the
 * NetworkPolicies of the render (same namespace; none selecting the target: anything may).
 */
function mayConnect(objects: K8sObject[], from: Record<string, string>, to: Record<string, string>, port: number): boolean {
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy' && (o.spec.policyTypes ?? ['Ingress']).includes('Ingress') && selects(o.spec.podSelector, to));
  if (policies.length === 0) return true;
  return policies.some((p) =>
    (p.spec.ingress ?? []).some(
      (rule: any) =>
        (rule.from ?? []).some((peer: any) => !peer.namespaceSelector && !peer.ipBlock && selects(peer.podSelector, from)) &&
        (!rule.ports || rule.ports.some((rp: any) => rp.port === port)),
    ),
  );
}

/** The longest `timeout` of the built-in functions, in ms. */
function longestBuiltInTimeoutMs(): number {
  const timeouts = readdirSync(FUNCTIONS, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'sdk')
    .map((d) => parseYaml(readFileSync(join(FUNCTIONS, d.name, 'manifest.yaml'), 'utf8')).timeout ?? '30s')
    .map((t) => parseDuration(t)!);
  return Math.max(...timeouts);
}

describe.each(RENDERS)('infra/k8s %s', (_name, dir) => {
  const objects = renderKustomization(dir);
  const workloads = templates(objects);

  it('renders workloads into the autoglm namespace', () => {
    expect(workloads.map(({ w }) => ref(w)).sort()).toEqual(['Deployment/pool', 'Deployment/router', 'StatefulSet/redis', 'StatefulSet/redis-sentinel']);
    for (const o of objects) if (o.kind !== 'Namespace') expect(o.metadata.namespace, ref(o)).toBe('autoglm');
  });

  it("validates every object against its kind's schema", async () => {
    expect(await schemaProblems(objects)).toEqual([]);
  });

  it('keeps every workload within limits, probed, budgeted, locked down, spread and drained in time', () => {
    expect(workloadProblems(objects, RULES)).toEqual([]);
  });

  it('has every Service select pods that declare its ports', () => {
    expect(serviceProblems(objects)).toEqual([]);
  });

  it('scales the router on CPU and the pool on queue depth, each target left to its autoscaler', () => {
    expect(autoscalerProblems(objects)).toEqual([]);
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'router');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'router' });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.metrics).toContainEqual(expect.objectContaining({ type: 'Resource', resource: expect.objectContaining({ name: 'cpu' }) }));

    const so = find(objects, 'ScaledObject', 'pool');
    expect(so.spec.scaleTargetRef).toMatchObject({ name: 'pool' });
    expect(so.spec.scaleTargetRef.kind ?? 'Deployment').toBe('Deployment');
    const [trigger] = so.spec.triggers;
    expect(trigger.type).toBe('prometheus');
    expect(trigger.metadata.query).toMatch(/autoglm_queue_jobs\{[^}]*state=~?"[^"]*waiting/);
  });

  it('keeps the router ready when the pool may scale to zero', () => {
    // /readyz needs a live pool worker: with no pool pod, no router would take the job that should wake one.
    const min = find(objects, 'ScaledObject', 'pool').spec.minReplicaCount ?? 0;
    const readiness = container(find(objects, 'Deployment', 'router'), 'router').readinessProbe.httpGet.path;
    if (min === 0) expect(readiness).not.toBe('/readyz');
    else expect(readiness).toBe('/readyz');
  });

  it('gives router and pool writable state and temp folders under their read-only root', () => {
    // The image's AUTOGLM_STATE_DIR: the router's admin token, the pool's bundle cache and artifacts.
    const stateDir = /AUTOGLM_STATE_DIR=(\S+)/.exec(readFileSync(DOCKERFILE, 'utf8'))?.[1];
    expect(stateDir).toBeTruthy();
    for (const name of ['router', 'pool']) {
      const w = find(objects, 'Deployment', name);
      const volumes = new Map<string, any>((podTemplate(w).spec.volumes ?? []).map((v: any) => [v.name, v]));
      for (const path of [stateDir, '/tmp']) {
        const mount = container(w, name).volumeMounts?.find((m: any) => m.mountPath === path);
        expect(mount && !mount.readOnly && volumes.get(mount.name)?.emptyDir, `${name} mounts a writable emptyDir at ${path}`).toBeTruthy();
      }
    }
  });

  it("gives router and pool the same encryption keys, and the pool a way to the routers' bundles", () => {
    // Both faults showed in the Docker smoke test (infra/test/smoke.sh): without the keys a worker
    // cannot open a sealed job input; without a bundle source it cannot load any function.
    const keyRef = (name: string) => container(find(objects, 'Deployment', name), name).env?.find((e: any) => e.name === 'AUTOGLM_ENCRYPTION_KEYS')?.valueFrom?.secretKeyRef;
    expect(keyRef('router')).toEqual({ name: 'autoglm-secrets', key: 'AUTOGLM_ENCRYPTION_KEYS' });
    expect(keyRef('pool')).toEqual(keyRef('router'));
    const pool = container(find(objects, 'Deployment', 'pool'), 'pool');
    const routerService = find(objects, 'Service', 'router');
    expect(env(pool, 'AUTOGLM_ROUTER_URL')).toBe(`http://${routerService.metadata.name}`);
    expect(routerService.spec.ports.some((p: any) => p.port === 80)).toBe(true);
    expect(pool.env.find((e: any) => e.name === 'AUTOGLM_WORKER_TOKEN')?.valueFrom?.secretKeyRef).toMatchObject({ name: 'autoglm-secrets', key: 'AUTOGLM_WORKER_TOKEN' });
  });

  it("probes the pool on its health endpoint, the port the image's pool serves it on, and the image checks each role with one command", () => {
    const pool = container(find(objects, 'Deployment', 'pool'), 'pool');
    const port = pool.ports?.find((p: any) => p.name === 'health')?.containerPort;
    expect(port).toBe(8081); // AUTOGLM_POOL_HEALTH_PORT's default for role pool: the manifest sets no other
    expect(env(pool, 'AUTOGLM_POOL_HEALTH_PORT')).toBeUndefined();
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) expect(pool[probe]?.httpGet, probe).toEqual({ path: '/healthz', port: 'health' });
    // The command test/e2e/pool-health-endpoint.test.ts runs against a live and a crash-looping pool.
    expect(readFileSync(DOCKERFILE, 'utf8')).toMatch(/^HEALTHCHECK .*\\\n\s+CMD \["node", "runtime\/\.build\/healthcheck\.js"\]$/m);
    const compose = parseYaml(readFileSync(COMPOSE, 'utf8'));
    expect(compose.services.pool.healthcheck, "compose keeps the image's check for the pool").toBeUndefined();
  });

  it('lets the pool finish the longest built-in function before it is killed', () => {
    const pool = find(objects, 'Deployment', 'pool');
    const graceMs = parseDuration(env(container(pool, 'pool'), 'AUTOGLM_SHUTDOWN_GRACE') ?? '30s')!;
    expect(graceMs).toBeGreaterThan(longestBuiltInTimeoutMs());
    const router = container(find(objects, 'Deployment', 'router'), 'router');
    expect(preStopSleep(router), 'router preStop sleep').toBeGreaterThan(0);
  });

  it('runs Redis as a master, a replica and three sentinels, with AOF and noeviction', () => {
    const redis = find(objects, 'StatefulSet', 'redis');
    const sentinel = find(objects, 'StatefulSet', 'redis-sentinel');
    expect(redis.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(sentinel.spec.replicas).toBe(3);
    const start = script(container(redis, 'redis'));
    expect(start).toMatch(/--appendonly yes/);
    expect(start).toMatch(/--maxmemory-policy noeviction/);
    expect(start).toMatch(/--replicaof/);
    // `command` bypasses the image's entrypoint, which would add it: without it, no other pod may connect.
    expect(start).toMatch(/--protected-mode no/);
    expect(script(container(sentinel, 'sentinel'))).toMatch(/^protected-mode no$/m);
    expect(redis.spec.volumeClaimTemplates?.[0]?.metadata.name).toBe(podTemplate(redis).spec.containers[0].volumeMounts[0].name);
    // Quorum: a majority of the sentinels.
    const quorum = Number(/sentinel monitor \S+ \S+ \d+ (\d+)/.exec(script(container(sentinel, 'sentinel')))?.[1]);
    expect(quorum).toBe(Math.floor(sentinel.spec.replicas / 2) + 1);
  });

  it('points router and pool at every sentinel by its stable name, under one master name', () => {
    const sentinel = find(objects, 'StatefulSet', 'redis-sentinel');
    const redis = find(objects, 'StatefulSet', 'redis');
    const sentinelPort = container(sentinel, 'sentinel').ports[0].containerPort;
    const sentinelNames = Array.from({ length: sentinel.spec.replicas }, (_, i) => `redis-sentinel-${i}.${sentinel.spec.serviceName}`);
    const redisNames = Array.from({ length: redis.spec.replicas }, (_, i) => `redis-${i}.${redis.spec.serviceName}`);
    for (const s of [sentinel, redis]) expect(find(objects, 'Service', s.spec.serviceName).spec.clusterIP, `${ref(s)}'s governing Service`).toBe('None');
    const masterName = env(container(redis, 'redis'), 'SENTINEL_MASTER_NAME');
    expect(masterName).toBeTruthy();
    for (const [w, c] of [[sentinel, 'sentinel'], [redis, 'redis']] as const) {
      expect(env(container(w, c), 'SENTINEL_MASTER_NAME'), ref(w)).toBe(masterName);
      expect(env(container(w, c), 'SENTINELS')?.split(' '), ref(w)).toEqual(sentinelNames);
      expect(env(container(w, c), 'REDIS_PODS')?.split(' '), ref(w)).toEqual(redisNames);
    }
    for (const name of ['router', 'pool']) {
      const c = container(find(objects, 'Deployment', name), name);
      expect(env(c, 'REDIS_SENTINELS')?.split(','), name).toEqual(sentinelNames.map((n) => `${n}:${sentinelPort}`));
      expect(env(c, 'REDIS_SENTINEL_NAME'), name).toBe(masterName);
      expect(env(c, 'REDIS_URL'), `${name}: a REDIS_URL would bypass the sentinels`).toBeUndefined();
    }
  });

  it('lets only the platform reach Redis and the sentinels, and them reach each other', () => {
    const labelsOf = (name: string) => workloads.find(({ w }) => w.metadata.name === name)!.labels;
    const targets = [
      { name: 'redis', port: 6379 },
      { name: 'redis-sentinel', port: 26379 },
    ];
    const allowed = new Set(['router', 'pool', 'redis', 'redis-sentinel']);
    for (const t of targets) {
      expect(objects.some((o) => o.kind === 'NetworkPolicy' && selects(o.spec.podSelector, labelsOf(t.name))), `a NetworkPolicy selects the ${t.name} pods`).toBe(true);
      for (const { w, labels } of workloads) expect(mayConnect(objects, labels, labelsOf(t.name), t.port), `${ref(w)} -> ${t.name}:${t.port}`).toBe(allowed.has(w.metadata.name));
      expect(mayConnect(objects, { app: 'intruder' }, labelsOf(t.name), t.port), `another pod -> ${t.name}`).toBe(false);
    }
  });

  it('has start scripts that sh can parse', () => {
    for (const { w } of workloads) {
      for (const c of podTemplate(w).spec.containers) {
        if (!script(c)) continue;
        const r = spawnSync('sh', ['-n'], { input: script(c), encoding: 'utf8' });
        expect(r.status, `${ref(w)} ${c.name}: ${r.stderr}`).toBe(0);
      }
    }
  });
});

describe("the pool's scaling query", () => {
  const query: string = find(renderKustomization(K8S), 'ScaledObject', 'pool').spec.triggers[0].metadata.query;

  it('reads the job the example scrape configuration gives the router pods', () => {
    const jobs = (parseYaml(readFileSync(SCRAPE_EXAMPLE, 'utf8')).scrape_configs as { job_name: string; kubernetes_sd_configs?: unknown }[]).filter((j) => j.kubernetes_sd_configs).map((j) => j.job_name);
    expect(jobs).toHaveLength(1);
    expect(query).toContain(`job="${jobs[0]}"`);
  });

  // Debian's `prometheus` package has promtool; `.ci/run` installs it.
  it('counts each function once however many routers report it, waiting and active jobs alike', () => {
    const dir = mkdtempSync(join(tmpdir(), 'autoglm-keda-'));
    try {
      writeFileSync(join(dir, 'rules.yaml'), JSON.stringify({ groups: [{ name: 'keda', rules: [{ record: 'pool_queue_depth', expr: query }] }] }));
      // Two routers report the same queues (one a scrape behind on echo); a failed job is no work.
      const series = (pod: string, fn: string, state: string, values: string) => ({ series: `autoglm_queue_jobs{job="autoglm-router-pods",pod="${pod}",function="${fn}",state="${state}"}`, values });
      writeFileSync(
        join(dir, 'test.yaml'),
        JSON.stringify({
          rule_files: ['rules.yaml'],
          evaluation_interval: '1m',
          tests: [
            {
              interval: '1m',
              input_series: [
                series('router-a', 'echo', 'waiting', '40 40'),
                series('router-b', 'echo', 'waiting', '38 38'),
                series('router-a', 'echo', 'active', '5 5'),
                series('router-b', 'echo', 'active', '5 5'),
                series('router-a', 'risk-scoring', 'waiting', '7 7'),
                series('router-b', 'risk-scoring', 'waiting', '7 7'),
                series('router-a', 'risk-scoring', 'failed', '100 100'),
                series('router-b', 'risk-scoring', 'failed', '100 100'),
              ],
              // per function, the larger report: echo 40 + 5, risk-scoring 7.
              promql_expr_test: [{ expr: 'pool_queue_depth', eval_time: '1m', exp_samples: [{ labels: 'pool_queue_depth', value: 52 }] }],
            },
          ],
        }),
      );
      const r = spawnSync('promtool', ['test', 'rules', 'test.yaml'], { cwd: dir, encoding: 'utf8' });
      if (r.error) throw new Error(`promtool is needed (apt-get install prometheus): ${r.error.message}`);
      expect(`${r.stdout}${r.stderr}`).toContain('SUCCESS');
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the manifest checks', () => {
  const fresh = () => renderKustomization(K8S);

  it('fail a workload without limits, probes, budget or lockdown, naming it', async () => {
    const objects = fresh();
    const router = container(find(objects, 'Deployment', 'router'), 'router');
    delete router.resources.limits;
    delete router.readinessProbe;
    podTemplate(find(objects, 'StatefulSet', 'redis')).spec.automountServiceAccountToken = true;
    container(find(objects, 'StatefulSet', 'redis-sentinel'), 'sentinel').securityContext.readOnlyRootFilesystem = false;
    const withoutPoolBudget = objects.filter((o) => !(o.kind === 'PodDisruptionBudget' && o.metadata.name === 'pool'));
    expect(workloadProblems(withoutPoolBudget, RULES)).toEqual(
      expect.arrayContaining([
        'Deployment/router: container router has no memory limit',
        'Deployment/router: container router has no readiness probe',
        'StatefulSet/redis: automountServiceAccountToken is not false',
        'StatefulSet/redis-sentinel: container sentinel has a writable root filesystem',
        'Deployment/pool: is selected by 0 PodDisruptionBudgets, not 1',
      ]),
    );
  });

  it('fail a drain shorter than preStop + AUTOGLM_SHUTDOWN_GRACE, and a selector that misses its pods', () => {
    const objects = fresh();
    podTemplate(find(objects, 'Deployment', 'router')).spec.terminationGracePeriodSeconds = 30;
    find(objects, 'Deployment', 'pool').spec.selector.matchLabels['app.kubernetes.io/component'] = 'poll';
    const problems = workloadProblems(objects, RULES);
    expect(problems).toContain('Deployment/router: terminationGracePeriodSeconds 30 < preStop 5 s + AUTOGLM_SHUTDOWN_GRACE 30 s + 7 s');
    expect(problems).toContain('Deployment/pool: its selector does not match its pod labels');
  });

  it('fail a Service or an autoscaler pointing at nothing, and a replica count beside an autoscaler', () => {
    const objects = fresh();
    find(objects, 'Service', 'router').spec.selector['app.kubernetes.io/component'] = 'ruoter';
    find(objects, 'Deployment', 'pool').spec.replicas = 3;
    find(objects, 'HorizontalPodAutoscaler', 'router').spec.scaleTargetRef.name = 'routr';
    expect(serviceProblems(objects)).toEqual(['Service/router: selects no pod']);
    expect(autoscalerProblems(objects)).toEqual([
      'HorizontalPodAutoscaler/router: targets Deployment/routr, which does not exist',
      'ScaledObject/pool: its target Deployment/pool sets replicas, which each apply resets',
    ]);
  });

  it('fail an object its schema refuses', async () => {
    const objects = fresh();
    find(objects, 'Deployment', 'router').spec.replicas = 'two';
    find(objects, 'ScaledObject', 'pool').spec.minReplicaCount = 'zero';
    expect(await schemaProblems(objects)).toEqual([
      expect.stringMatching(/^Deployment\/router: .*replicas must be integer/),
      expect.stringMatching(/^ScaledObject\/pool: .*minReplicaCount must be integer/),
    ]);
  });
});

// The start scripts decide who is master: they run here as the containers would, with the real
// redis-server in sentinel and server modes, one network namespace a pod (root and iproute2,
// as on CI; skipped elsewhere). The platform's own Sentinel client is not part of this.
describe.skipIf(!canMakePodNetworks())('the Redis and sentinel start scripts', () => {
  const objects = renderKustomization(K8S);
  const podsOf = (name: string): PodSpec[] => {
    const w = find(objects, 'StatefulSet', name);
    const c = podTemplate(w).spec.containers[0];
    const env = Object.fromEntries(c.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    return Array.from({ length: w.spec.replicas }, (_, i) => ({ name: `${name}-${i}`, service: w.spec.serviceName, script: script(c), env }));
  };
  const redisPods = podsOf('redis');
  const sentinelPods = podsOf('redis-sentinel');
  let net: PodNetwork | undefined;
  afterAll(() => net?.close());

  it('elect redis-0 at first start, fail over on kill -9, and bring a killed master back as a replica', async () => {
    net = new PodNetwork([...redisPods, ...sentinelPods]);
    const n = net;
    const masterName = redisPods[0]!.env.SENTINEL_MASTER_NAME!;
    const masterSays = (sentinel: string) => n.redisCli(sentinel, '-h', `${sentinel}.redis-sentinel`, '-p', '26379', 'sentinel', 'get-master-addr-by-name', masterName)?.split('\n')[0];
    const replication = (pod: string) => n.redisCli(pod, '-h', `${pod}.redis`, 'info', 'replication') ?? '';
    const everySentinelSays = (master: string) => sentinelPods.every((s) => masterSays(s.name) === master);
    // A failover needs each sentinel to know the others (they meet through the master, so only
    // while it lives) and the replica it will promote (from the master's INFO, every 10 s).
    const sentinelsReady = () =>
      sentinelPods.every((s) => {
        const m = n.redisCli(s.name, '-h', `${s.name}.redis-sentinel`, '-p', '26379', 'sentinel', 'master', masterName) ?? '';
        return m.includes(`num-other-sentinels\n${sentinelPods.length - 1}\n`) && m.includes(`num-slaves\n${redisPods.length - 1}\n`);
      });
    const replicaOf = (pod: string, master: string) => /role:slave/.test(replication(pod)) && replication(pod).includes(`master_host:${master}`) && /master_link_status:up/.test(replication(pod));

    const rehearse = async () => {
      for (const p of [...redisPods, ...sentinelPods]) n.start(p.name);
      await eventually(() => everySentinelSays('redis-0.redis'), 'every sentinel to name redis-0 master', 60_000);
      await eventually(() => replicaOf('redis-1', 'redis-0.redis'), 'redis-1 to replicate redis-0', 60_000);
      expect(n.redisCli('redis-1', '-h', 'redis-0.redis', 'set', 'job', 'accepted')).toBe('OK');
      await eventually(() => n.redisCli('redis-1', '-h', 'redis-1.redis', 'get', 'job') === 'accepted', 'the write to reach the replica');

      await eventually(sentinelsReady, 'the sentinels to know each other and the replica', 60_000);
      const killedAt = Date.now();
      await n.kill('redis-0');
      await eventually(() => everySentinelSays('redis-1.redis'), 'the sentinels to promote redis-1', 60_000);
      console.log(`failover: sentinels named the new master ${((Date.now() - killedAt) / 1000).toFixed(1)} s after kill -9`);
      expect(n.redisCli('redis-1', '-h', 'redis-1.redis', 'get', 'job')).toBe('accepted');
      expect(n.redisCli('redis-1', '-h', 'redis-1.redis', 'set', 'after', 'failover')).toBe('OK');

      // Restarted (its volume kept), the old master asks the sentinels and follows the new one.
      n.start('redis-0');
      await eventually(() => replicaOf('redis-0', 'redis-1.redis'), 'the old master to come back as a replica', 60_000);
      await eventually(() => n.redisCli('redis-0', '-h', 'redis-0.redis', 'get', 'after') === 'failover', 'the old master to have the new writes');

      // All sentinels lost with their state (emptyDir): restarted, they find the master by asking the Redis pods.
      for (const s of sentinelPods) await n.kill(s.name);
      for (const s of sentinelPods) n.wipe(s.name);
      for (const s of sentinelPods) n.start(s.name);
      await eventually(() => everySentinelSays('redis-1.redis'), 'restarted sentinels to find redis-1 master', 60_000);

      // And a second failover, back to redis-0.
      await eventually(sentinelsReady, 'the restarted sentinels to know each other and the replica', 60_000);
      await n.kill('redis-1');
      await eventually(() => everySentinelSays('redis-0.redis'), 'the sentinels to promote redis-0 again', 60_000);
      n.start('redis-1');
      await eventually(() => replicaOf('redis-1', 'redis-0.redis'), 'redis-1 to come back as a replica', 60_000);
    };
    // The pods' own logs say why a step did not happen.
    await rehearse().catch((err: Error) => {
      throw new Error(`${err.message}\n${n.logTails()}`);
    });
  }, 240_000);
});

// kubectl (with its built-in kustomize) is not part of CI's machine; where it is installed, the
// renderer above is held to it.
const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
describe.skipIf(!kubectl)('the renderer', () => {
  it.each(RENDERS)('renders %s as kubectl kustomize does', (_name, dir) => {
    const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const sortKey = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
    const theirs = parseAllDocuments(r.stdout).map((d) => d.toJS() as K8sObject).sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
    const ours = renderKustomization(dir).sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
    expect(ours).toEqual(theirs);
  });
});
