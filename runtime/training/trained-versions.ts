import { openBundle, packBundle, type TarEntry } from '../../functions/sdk/bundle/index.ts';
import type { TrainingSettings } from '../../functions/sdk/index.ts';
import { PlatformError } from '../../queue/platform-error.ts';
import { TRAINING_ENDS, type TrainedFiles, type TrainingOutcome, type TrainingStore, type TrainingThen, type TrainingView, type VersionTraining } from '../../queue/cluster/index.ts';
import type { ArtifactStore } from '../registry/artifact-store.ts';
import type { Registry } from '../registry/registry.ts';
import type { DeployMode } from '../registry/traffic.ts';

/** What recording a trained version needs. */
export interface TrainedVersionsDeps {
  store: TrainingStore;
  artifacts: Pick<ArtifactStore, 'get'>;
  registry: Pick<Registry, 'deploy'>;
  /** How long an ended training's record is kept, s. */
  keepS: number;
  /** Percent of calls a `then: shadow` version gets copies of [100]. */
  shadowPercent?: number;
  /**
   * Told once of each training's end, wherever it ended (here, on its worker, or cancelled while
   * queued), with the ended record (`status`, and `error` or `result`): the audit's `training.end`.
   */
  onEnd?: (v: TrainingView) => void;
}

/**
 * How the new primary metric compares with stable's on the same held-out records: worse by more
 * than the tolerance is `worse` (recorded, not deployed).
 */
export function verdictOf(t: Pick<TrainingSettings, 'primaryMetric' | 'higherIsBetter' | 'tolerance'>, metrics: Record<string, number>, baseline: Record<string, number> | undefined): TrainingOutcome['verdict'] {
  const now = metrics[t.primaryMetric];
  const before = baseline?.[t.primaryMetric];
  if (now === undefined || before === undefined || !Number.isFinite(before)) return 'unmeasured';
  const gain = t.higherIsBetter ? now - before : before - now;
  if (gain > 0) return 'better';
  return -gain <= t.tolerance ? 'within' : 'worse';
}

/** The bundle of the new version: the retrained version's files, with those the training wrote in their place. */
export function trainedBundle(base: readonly TarEntry[], written: readonly { path: string; data: Buffer }[]): Buffer {
  const byPath = new Map(written.map((f) => [f.path, f.data]));
  const files = base.map((f) => (byPath.has(f.path) ? { path: f.path, data: byPath.get(f.path)! } : f));
  const inBase = new Set(base.map((f) => f.path));
  const added = written.filter((f) => !inBase.has(f.path)).sort((a, b) => a.path.localeCompare(b.path));
  return packBundle([...files, ...added]);
}

/**
 * Records what trainings made (routers consume the finish queue: workers cannot deploy): the new
 * bundle goes through the registry as any deploy does (stored by content, loaded once by a worker
 * before it is recorded), with its training on the version's record; then it becomes a shadow of
 * stable, starts the function's rollout, or stays unrouted, as asked, unless its primary metric is
 * worse than stable's on the same held-out records: then it is recorded, not deployed, with the
 * reason. A training cancelled by then ends here with no version. A training that ended elsewhere
 * (failed or cancelled on its worker, cancelled while queued) is queued here too, for its end to
 * be told (`onEnd`), once.
 */
export class TrainedVersions {
  constructor(private readonly deps: TrainedVersionsDeps) {}

  /** Records training `id`'s files, or tells of its end; throws to be retried (the queue's attempts) when a retry may help. */
  async finish(id: string): Promise<void> {
    const v = await this.deps.store.get(id);
    if (v && TRAINING_ENDS.includes(v.status)) return this.told(v);
    if (!v || v.status !== 'finishing') return;
    if (v.cancel) return this.end(v, 'cancelled', { error: { code: 'TRAINING_CANCELLED', message: `cancelled by ${v.cancel.by}`, retryable: false } });
    const out = await this.deps.store.trainedFiles(id);
    if (!out) return this.end(v, 'failed', { error: { code: 'TRAINING_FAILED', message: 'the trained files are gone (expired before a router recorded them)', retryable: false } });
    const base = await this.deps.artifacts.get(v.hash);
    // Another router node stored the bundle: a retry may land there (see the docs: one artifact store per node).
    if (!base) throw new Error(`bundle ${v.hash} of ${v.function}@${v.version} is not in this router's store`);
    const bundle = await openBundle(base);
    const settings = bundle.manifest.training!;
    const outcome = await this.record(v, bundle.files, out, settings);
    if (outcome instanceof PlatformError) return this.end(v, 'failed', { error: { code: outcome.code, message: outcome.message, retryable: false } });
    return this.end(v, outcome.verdict === 'worse' && v.then !== 'none' ? 'rejected' : 'succeeded', { result: outcome });
  }

  private async record(v: TrainingView, base: readonly TarEntry[], out: TrainedFiles, t: TrainingSettings): Promise<TrainingOutcome | PlatformError> {
    const verdict = verdictOf(t, out.metrics, out.baseline);
    const worse = verdict === 'worse';
    const training: VersionTraining = {
      id: v.id,
      from: v.version,
      dataset: { hash: v.dataset.hash, records: v.dataset.records, source: v.dataset.source },
      primaryMetric: t.primaryMetric,
      higherIsBetter: t.higherIsBetter,
      metrics: out.metrics,
      ...(out.baseline ? { baseline: out.baseline } : {}),
      verdict,
    };
    const deployed: TrainingThen = worse ? 'none' : v.then;
    try {
      const r = await this.deps.registry.deploy(trainedBundle(base, out.files), { mode: modeOf(deployed, this.deps.shadowPercent ?? 100), by: v.createdBy, namespace: v.namespace, training });
      const reason = worse && v.then !== 'none' ? reasonOf(t, out) : undefined;
      return { version: r.version, primaryMetric: t.primaryMetric, higherIsBetter: t.higherIsBetter, metrics: out.metrics, ...(out.baseline ? { baseline: out.baseline } : {}), verdict, deployed, ...(reason ? { reason } : {}), ...(out.details ? { details: out.details } : {}) };
    } catch (err) {
      // A refusal (the new files do not load, a check fails) ends the training; anything else is retried.
      if (err instanceof PlatformError && !err.retryable) return err;
      throw err;
    }
  }

  private async end(v: TrainingView, status: 'succeeded' | 'rejected' | 'failed' | 'cancelled', o: { result?: TrainingOutcome; error?: { code: string; message: string; retryable: boolean } }): Promise<void> {
    if (await this.deps.store.end(v.id, status, { ...o, keepS: this.deps.keepS })) await this.told({ ...v, status, ...o });
  }

  /** Tells `onEnd` of an ended training, unless a router told of it already (a finish job run again). */
  private async told(v: TrainingView): Promise<void> {
    if (this.deps.onEnd && (await this.deps.store.claimEndRecord(v.id))) this.deps.onEnd(v);
  }
}

function modeOf(then: TrainingThen, shadowPercent: number): DeployMode {
  if (then === 'shadow') return { kind: 'shadow', percent: shadowPercent };
  if (then === 'rollout') return { kind: 'rollout', overrides: {} };
  return { kind: 'none' };
}

function reasonOf(t: TrainingSettings, out: TrainedFiles): string {
  const now = out.metrics[t.primaryMetric]!;
  const before = out.baseline![t.primaryMetric]!;
  return `${t.primaryMetric} ${now} is worse than stable's ${before} on the same held-out records (${t.higherIsBetter ? 'higher' : 'lower'} is better; tolerance ${t.tolerance})`;
}
