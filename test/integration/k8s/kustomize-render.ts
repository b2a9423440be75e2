/**
 * Renders a kustomization as `kubectl kustomize` does, for the features infra/k8s uses and no
 * more: `resources` (files and folders), `namespace`, `images` (newName/newTag) and `patches`
 * given by `path` (strategic merge, the patch naming its target by kind and name). Any other
 * field throws, so a kustomization that starts using one fails the test until this learns it.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** A Kubernetes object as parsed from YAML. */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  [k: string]: unknown;
};

const KNOWN_FIELDS = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'images', 'patches']);
/** Kinds without a namespace, which kustomize's `namespace` leaves alone. */
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PriorityClass', 'StorageClass']);
/** Built-in kinds, whose lists of named items kustomize merges by name (CRDs' lists are replaced). */
const BUILT_IN_GROUPS = /^(v1|apps\/v1|batch\/v1|policy\/v1|autoscaling\/v2|networking\.k8s\.io\/v1)$/;

type Image = { name: string; newName?: string; newTag?: string };
type Kustomization = { resources?: string[]; namespace?: string; images?: Image[]; patches?: { path?: string; target?: unknown; patch?: string }[] };

/** Renders the kustomization in `dir` into its objects, in resource order. */
export function renderKustomization(dir: string): K8sObject[] {
  const k = readYaml(join(dir, 'kustomization.yaml'))[0] as Kustomization & Record<string, unknown>;
  const unknown = Object.keys(k).filter((f) => !KNOWN_FIELDS.has(f));
  if (unknown.length) throw new Error(`${dir}/kustomization.yaml: fields this renderer does not implement: ${unknown.join(', ')}`);
  const objects: K8sObject[] = [];
  for (const r of k.resources ?? []) {
    const path = join(dir, r);
    objects.push(...(statSync(path).isDirectory() ? renderKustomization(path) : (readYaml(path) as K8sObject[])));
  }
  if (k.namespace) {
    for (const o of objects) if (!CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = k.namespace;
  }
  for (const image of k.images ?? []) for (const o of objects) setImage(o, image);
  for (const p of k.patches ?? []) {
    if (!p.path || p.target || p.patch) throw new Error(`${dir}: only patches given by path alone are implemented`);
    for (const patch of readYaml(join(dir, p.path)) as K8sObject[]) {
      const i = objects.findIndex((o) => o.kind === patch.kind && o.metadata.name === patch.metadata.name);
      if (i < 0) throw new Error(`${dir}/${p.path}: no ${patch.kind}/${patch.metadata.name} to patch`);
      objects[i] = merge(objects[i], patch, BUILT_IN_GROUPS.test(patch.apiVersion)) as K8sObject;
    }
  }
  return objects;
}

function readYaml(path: string): unknown[] {
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((d) => {
      if (d.errors.length) throw new Error(`${path}: ${d.errors[0]!.message}`);
      return d.toJS() as unknown;
    })
    .filter((o) => o !== null);
}

/** Containers and init containers of a workload's pod template (or of a bare Pod). */
function podSpecs(o: K8sObject): any[] {
  const spec = o.kind === 'Pod' ? o.spec : o.kind === 'CronJob' ? o.spec?.jobTemplate?.spec?.template?.spec : o.spec?.template?.spec;
  return spec ? [spec] : [];
}

function setImage(o: K8sObject, image: Image): void {
  for (const spec of podSpecs(o)) {
    for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
      const [name, tag] = splitImage(c.image);
      if (name !== image.name) continue;
      c.image = `${image.newName ?? name}${image.newTag ? `:${image.newTag}` : tag ? `:${tag}` : ''}`;
    }
  }
}

function splitImage(ref: string): [string, string | undefined] {
  const at = ref.lastIndexOf(':');
  // A colon before the last slash is a registry port, not a tag.
  return at > ref.lastIndexOf('/') ? [ref.slice(0, at), ref.slice(at + 1)] : [ref, undefined];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const named = (v: unknown[]): v is { name: string }[] => v.every((x) => isObject(x) && typeof x.name === 'string');

/**
 * Strategic merge as kustomize applies it: maps merge key by key; in built-in kinds, lists whose
 * items all have a `name` (containers, env, volumes, ports…) merge item by item on it; any other
 * list, and every list of a custom resource, is replaced.
 */
function merge(base: unknown, patch: unknown, byName: boolean): unknown {
  if (isObject(base) && isObject(patch)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = v === null ? undefined : k in base ? merge(base[k], v, byName) : v;
    for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
    return out;
  }
  if (byName && Array.isArray(base) && Array.isArray(patch) && named(base) && named(patch)) {
    const out = [...base];
    for (const item of patch) {
      const i = out.findIndex((b) => b.name === item.name);
      if (i < 0) out.push(item);
      else out[i] = merge(out[i], item, byName) as { name: string };
    }
    return out;
  }
  return patch;
}
