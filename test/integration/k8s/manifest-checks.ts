/**
 * The invariants every workload of infra/k8s keeps, as functions returning problems (empty: all
 * kept), each naming the workload, so a failing test says which one and why.
 */
import type { K8sObject } from './kustomize-render.ts';

/** A label selector: `matchLabels` and `matchExpressions`, or a Service's plain map. */
export type Selector = { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']);
/** Jobs run to completion: nothing to probe, nothing a disruption budget should keep up. */
const RUN_TO_COMPLETION = new Set(['Job', 'CronJob']);

export const isWorkload = (o: K8sObject): boolean => WORKLOAD_KINDS.has(o.kind);
export const ref = (o: K8sObject): string => `${o.kind}/${o.metadata.name}`;

/** The pod template of a workload. */
export function podTemplate(o: K8sObject): { metadata: { labels?: Record<string, string> }; spec: any } {
  const t = o.kind === 'CronJob' ? o.spec?.jobTemplate?.spec?.template : o.spec?.template;
  return { metadata: t?.metadata ?? {}, spec: t?.spec ?? {} };
}

/** Whether `labels` match a selector; an empty selector matches everything, as in Kubernetes. */
export function selects(selector: Selector | undefined, labels: Record<string, string> = {}): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    const inValues = has && (e.values ?? []).includes(labels[e.key]!);
    const ok = { In: inValues, NotIn: !inValues, Exists: has, DoesNotExist: !has }[e.operator];
    if (ok === undefined) throw new Error(`selector operator ${e.operator} is not implemented`);
    if (!ok) return false;
  }
  return true;
}

/** Pod templates of the rendered objects, by workload. */
export const templates = (objects: K8sObject[]) => objects.filter(isWorkload).map((w) => ({ w, labels: podTemplate(w).metadata.labels ?? {} }));

/** Seconds of a `sleep N` preStop hook, 0 without one. */
export function preStopSleep(container: any): number {
  const cmd: string[] = container.lifecycle?.preStop?.exec?.command ?? [];
  return cmd[0] === 'sleep' ? Number(cmd[1]) : container.lifecycle?.preStop?.sleep?.seconds ?? 0;
}

/** Options of {@link workloadProblems}. */
export interface WorkloadRules {
  /** Workloads (`Kind/name`) allowed to run without probes, each with the reason. */
  withoutProbes: Record<string, string>;
  /** Seconds the terminationGracePeriodSeconds must exceed preStop + AUTOGLM_SHUTDOWN_GRACE by. */
  shutdownMarginS: number;
  /** Parses a duration ("30s") to milliseconds. */
  parseDuration: (v: string) => number | undefined;
}

/** Everything wrong with each workload's pods: resources, probes, security, spread, budget, drain. */
export function workloadProblems(objects: K8sObject[], rules: WorkloadRules): string[] {
  const problems: string[] = [];
  const pdbs = objects.filter((o) => o.kind === 'PodDisruptionBudget');
  const all = templates(objects);
  for (const { w, labels } of all) {
    const say = (p: string) => problems.push(`${ref(w)}: ${p}`);
    const spec = podTemplate(w).spec;
    const podSc = spec.securityContext ?? {};
    if (w.kind !== 'CronJob' && !selects(w.spec?.selector, labels)) say('its selector does not match its pod labels');
    for (const other of all) if (other.w !== w && w.spec?.selector && selects(w.spec.selector, other.labels)) say(`its selector also matches the pods of ${ref(other.w)}`);

    if (spec.automountServiceAccountToken !== false) say('automountServiceAccountToken is not false');
    if (podSc.seccompProfile?.type !== 'RuntimeDefault') say('pod seccompProfile is not RuntimeDefault');
    const spread: any[] = spec.topologySpreadConstraints ?? [];
    if (!spread.some((c) => c.topologyKey === 'kubernetes.io/hostname')) say('no topology spread over kubernetes.io/hostname');
    for (const c of spread) if (!selects(c.labelSelector, labels)) say(`topology spread on ${c.topologyKey} selects other pods than its own`);

    const containers: any[] = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
    for (const c of containers) {
      const sayC = (p: string) => say(`container ${c.name} ${p}`);
      const sc = { ...podSc, ...(c.securityContext ?? {}) };
      if (sc.runAsNonRoot !== true) sayC('may run as root (runAsNonRoot is not true)');
      if (!(Number(sc.runAsUser) > 0)) sayC('has no non-zero runAsUser');
      if (sc.allowPrivilegeEscalation !== false) sayC('allows privilege escalation');
      if (sc.readOnlyRootFilesystem !== true) sayC('has a writable root filesystem');
      if (!(sc.capabilities?.drop ?? []).includes('ALL')) sayC('does not drop ALL capabilities');
      for (const r of ['cpu', 'memory']) if (c.resources?.requests?.[r] === undefined) sayC(`has no ${r} request`);
      // CPU limits are left out on purpose (throttling shows up as tail latency): memory is the limit.
      if (c.resources?.limits?.memory === undefined) sayC('has no memory limit');
    }

    if (!RUN_TO_COMPLETION.has(w.kind)) {
      for (const c of spec.containers ?? []) {
        const sayC = (p: string) => say(`container ${c.name} ${p}`);
        if (!(ref(w) in rules.withoutProbes)) {
          if (!c.readinessProbe) sayC('has no readiness probe');
          if (!c.livenessProbe) sayC('has no liveness probe');
        }
        for (const kind of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
          const port = c[kind]?.httpGet?.port;
          if (port !== undefined && !(c.ports ?? []).some((p: any) => p.name === port || p.containerPort === port)) sayC(`${kind} uses port ${port}, which it does not declare`);
        }
      }
      const budgets = pdbs.filter((p) => p.metadata.namespace === w.metadata.namespace && selects(p.spec?.selector, labels));
      // Kubernetes refuses to evict a pod that more than one budget selects.
      if (budgets.length !== 1) say(`is selected by ${budgets.length} PodDisruptionBudgets, not 1`);
    }

    for (const c of spec.containers ?? []) {
      const grace = c.env?.find((e: any) => e.name === 'AUTOGLM_SHUTDOWN_GRACE')?.value;
      if (grace === undefined) continue;
      const graceS = (rules.parseDuration(grace) ?? NaN) / 1000;
      const needed = graceS + preStopSleep(c) + rules.shutdownMarginS;
      const given = spec.terminationGracePeriodSeconds ?? 30;
      if (!(given >= needed)) say(`terminationGracePeriodSeconds ${given} < preStop ${preStopSleep(c)} s + AUTOGLM_SHUTDOWN_GRACE ${graceS} s + ${rules.shutdownMarginS} s`);
    }
  }
  return problems;
}

/** Services selecting no pod, or naming a target port no selected pod declares. */
export function serviceProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const all = templates(objects);
  for (const s of objects.filter((o) => o.kind === 'Service')) {
    const picked = all.filter(({ w, labels }) => w.metadata.namespace === s.metadata.namespace && selects({ matchLabels: s.spec?.selector ?? {} }, labels));
    if (!s.spec?.selector || picked.length === 0) {
      problems.push(`${ref(s)}: selects no pod`);
      continue;
    }
    for (const p of s.spec.ports ?? []) {
      const target = p.targetPort ?? p.port;
      const declared = picked.every(({ w }) => (podTemplate(w).spec.containers ?? []).some((c: any) => (c.ports ?? []).some((cp: any) => cp.name === target || cp.containerPort === target)));
      if (!declared) problems.push(`${ref(s)}: port ${p.name ?? p.port} targets ${target}, which a selected pod does not declare`);
    }
  }
  return problems;
}

/** Autoscalers pointing at nothing, and autoscaled workloads that set `replicas` (apply would reset the count). */
export function autoscalerProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const scaled = new Map<string, string[]>();
  for (const a of objects.filter((o) => o.kind === 'HorizontalPodAutoscaler' || o.kind === 'ScaledObject')) {
    const t = a.spec?.scaleTargetRef ?? {};
    const kind = t.kind ?? 'Deployment';
    const target = objects.find((o) => o.kind === kind && o.metadata.name === t.name && o.metadata.namespace === a.metadata.namespace);
    if (!target) {
      problems.push(`${ref(a)}: targets ${kind}/${t.name}, which does not exist`);
      continue;
    }
    scaled.set(ref(target), [...(scaled.get(ref(target)) ?? []), ref(a)]);
    if (target.spec?.replicas !== undefined) problems.push(`${ref(a)}: its target ${ref(target)} sets replicas, which each apply resets`);
  }
  for (const [target, by] of scaled) if (by.length > 1) problems.push(`${target}: scaled by ${by.join(' and ')}`);
  return problems;
}
