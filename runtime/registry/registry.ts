import { BUNDLE_MANIFEST, BundleFormatError, BundleLimitError, ManifestFormatError, openBundle, sha256, type OpenedBundle } from '../../functions/sdk/bundle/index.ts';
import { KnowledgeMissingError, SecretMissingError, type FunctionCatalog, type FunctionState, type ShadowStats, type TrafficTable, type VersionRecord, type VersionTraining } from '../../queue/cluster/index.ts';
import { FunctionLoadError, type DeployChecker, type QueueSet } from '../../queue/jobs/index.ts';
import type { ArtifactStore } from './artifact-store.ts';
import { BundlesInCheck } from './bundles-in-check.ts';
import { manifestSchemaIssues } from './manifest-schemas.ts';
import { BundleTooLargeError, FunctionBusyError, FunctionNotFoundError, HashMismatchError, InvalidBundleError, NamespaceMismatchError, NoWorkerError, UnplaceableError } from './registry-errors.ts';
import { afterDeploy, emptyTraffic, promote, rollback, setShadow, setWeights, type DeployMode } from './traffic.ts';
import { intervalIssue, isActive, pausedByChange, rolloutPlan, startRollout } from '../rollouts/index.ts';

/** Options of a {@link Registry}. */
export interface RegistryOptions {
  /** Longest a worker may take to load a candidate at deploy, ms. Default 60,000. */
  loadCheckTimeoutMs?: number;
  /** Largest uncompressed bundle content, bytes (`AUTOGLM_BUNDLE_LIMIT`). Default 256 MiB. */
  maxBundleBytes?: number;
  /** Most members of a bundle, directories included (`AUTOGLM_BUNDLE_MAX_ENTRIES`). Default 10,000. */
  maxBundleEntries?: number;
  /** Shortest rollout window a deploy or a manifest may ask for, ms (`AUTOGLM_ROLLOUT_MIN_INTERVAL`). Default 5,000. */
  minRolloutIntervalMs?: number;
  /**
   * Checks that some device can run the version (its manifest, in its namespace): a reason when
   * none can, else the worker to check its load on when only some may (`checkOn`; absent: any).
   */
  placement?: (bundle: OpenedBundle, namespace: string) => Promise<{ ok: true; checkOn?: string } | { ok: false; reason: string }>;
  /** Which of a manifest's `secrets` its namespace lacks [none checked]. */
  missingSecrets?: (namespace: string, names: readonly string[]) => Promise<string[]>;
  /** Which of a manifest's `knowledge` collections its namespace lacks [none checked]. */
  missingKnowledge?: (namespace: string, names: readonly string[]) => Promise<string[]>;
  /** Told of every change this registry makes, right after it is stored. */
  onChange?: (name: string, state: FunctionState | undefined) => void;
}

/** What a deploy did. */
export interface DeployResult {
  name: string;
  version: string;
  hash: string;
  /** False when this exact bundle was already deployed (same content, same version). */
  created: boolean;
  traffic: TrafficTable;
  /** Where the load check ran: the worker, its device, and how long the load took. */
  check?: { worker: string; device: string; loadMs: number };
  /** The rollout this deploy started (or found running) for the version. */
  rollout?: { state: string; step: number; steps: number[]; intervalMs: number };
}

/**
 * The function registry: accepts bundles, checks them (format, declared hash, placement, a real
 * load on a worker), stores them content-addressed, records immutable versions, and changes
 * traffic. Nothing is recorded unless every check passed, so a refused deploy leaves the
 * registry as it was.
 */
export class Registry {
  /** Bundles being loaded by a deploy check, before the catalogue lists them (for the artifact route). */
  readonly inCheck = new BundlesInCheck();

  constructor(
    private readonly catalog: FunctionCatalog,
    private readonly store: ArtifactStore,
    private readonly checker: DeployChecker,
    private readonly queues: QueueSet,
    private readonly shadow: ShadowStats,
    private readonly opts: RegistryOptions = {},
  ) {}

  /**
   * Deploys an archive.
   * @throws InvalidBundleError, BundleTooLargeError, HashMismatchError, SecretMissingError, KnowledgeMissingError, FunctionLoadError, NoWorkerError, UnplaceableError, TrafficError
   */
  async deploy(
    archive: Buffer,
    o: {
      declaredHash?: string;
      mode: DeployMode;
      by: string;
      namespace?: string;
      /** Throws when the caller may not deploy into the namespace. */
      authorize?: (namespace: string) => void;
      /** The training that made this bundle, kept on a new version's record. */
      training?: VersionTraining;
    },
  ): Promise<DeployResult> {
    const hash = sha256(archive);
    if (o.declaredHash && o.declaredHash.toLowerCase() !== hash) throw new HashMismatchError(o.declaredHash, hash);
    let bundle: OpenedBundle;
    const limits = { maxBytes: this.opts.maxBundleBytes ?? 256 * 1024 * 1024, maxEntries: this.opts.maxBundleEntries ?? 10_000 };
    try {
      bundle = await openBundle(archive, limits);
    } catch (err) {
      if (err instanceof BundleLimitError) throw new BundleTooLargeError(err, limits);
      if (err instanceof BundleFormatError) throw new InvalidBundleError(err.message, err instanceof ManifestFormatError ? err.issues : undefined);
      throw err;
    }
    // The manifest's schema takes windows from 1s; this platform's floor may be higher, and a
    // manifest under it is refused on any deploy, as one the schema refuses.
    const declared = bundle.manifest.rollout;
    const shortWindow = declared && intervalIssue(declared.interval, this.opts.minRolloutIntervalMs);
    const schemaIssues = [...manifestSchemaIssues(bundle.manifest), ...(shortWindow ? [{ field: 'rollout.interval', message: shortWindow }] : [])];
    if (schemaIssues.length) throw new InvalidBundleError(`${BUNDLE_MANIFEST}: ${schemaIssues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, schemaIssues);
    const name = bundle.manifest.name;
    const existing = await this.catalog.get(name);
    if (existing && o.namespace && existing.namespace !== o.namespace) throw new NamespaceMismatchError(name, existing.namespace, o.namespace);
    const namespace = existing?.namespace ?? o.namespace ?? 'default';
    o.authorize?.(namespace);
    // Names are global. A new one is claimed for the span of the checks below (a load on a worker
    // can take a minute), so a second namespace deploying it at once is refused here, not recorded
    // into the first one's function; the catalogue write checks the namespace again.
    const holder = await this.catalog.claim(name, namespace, (this.opts.loadCheckTimeoutMs ?? 60_000) + 60_000);
    if (holder !== namespace) throw new NamespaceMismatchError(name, holder, namespace);
    try {
      return await this.checkAndRecord(archive, hash, bundle, namespace, existing, o);
    } finally {
      await this.catalog.release(name, namespace).catch(() => undefined);
    }
  }

  /** The rest of {@link deploy}, once the name is the namespace's: checks, stores and records the version. */
  private async checkAndRecord(archive: Buffer, hash: string, bundle: OpenedBundle, namespace: string, existing: FunctionState | undefined, o: { mode: DeployMode; by: string; training?: VersionTraining }): Promise<DeployResult> {
    const name = bundle.manifest.name;
    // Settings out of range are refused before a worker spends a load on the version.
    const mode = o.mode;
    const plan = mode.kind === 'rollout' && !(mode.ifDeclared && !bundle.manifest.rollout) ? rolloutPlan(bundle.manifest.rollout, mode.overrides, this.opts.minRolloutIntervalMs) : undefined;
    const lacking = (await this.opts.missingSecrets?.(namespace, bundle.manifest.secrets)) ?? [];
    if (lacking.length) throw new SecretMissingError(namespace, lacking);
    const unknown = (await this.opts.missingKnowledge?.(namespace, bundle.manifest.knowledge)) ?? [];
    if (unknown.length) throw new KnowledgeMissingError(namespace, unknown, 'manifest');
    const already = existing?.versions[bundle.version];
    let check: DeployResult['check'];
    // Stored even when the version is known: this router's store may be new (another node, a lost disk).
    if (!(await this.store.has(hash))) this.store.put(hash, archive);
    if (!already) {
      const placed = (await this.opts.placement?.(bundle, namespace)) ?? { ok: true };
      if (!placed.ok) throw new UnplaceableError(placed.reason);
      const outcome = await this.inCheck.during(hash, namespace, () =>
        this.checker.check({ name, namespace, version: bundle.version, hash, manifest: bundle.manifest }, this.opts.loadCheckTimeoutMs ?? 60_000, placed.checkOn),
      );
      if (!outcome.ok) {
        if ('timedOut' in outcome) {
          const within = `within ${(this.opts.loadCheckTimeoutMs ?? 60_000) / 1000} s`;
          // A check sent to one worker (of a pool limited to some namespaces) waits for that one.
          throw new NoWorkerError(placed.checkOn ? `worker ${placed.checkOn} did not load ${name}@${bundle.version} ${within}; if it stopped, deploy again` : `no worker loaded ${name}@${bundle.version} ${within}; is the pool running?`);
        }
        throw new FunctionLoadError(outcome.error.message);
      }
      check = { worker: outcome.report.workerId, device: outcome.report.device, loadMs: outcome.report.loadMs };
    }
    const record: VersionRecord = already ?? { version: bundle.version, hash, manifest: bundle.manifest, size: archive.length, createdAt: Date.now(), createdBy: o.by, ...(bundle.driftBaseline ? { driftBaseline: bundle.driftBaseline } : {}), ...(o.training ? { training: o.training } : {}) };
    // Shadow counters of this version left from an earlier shadow: a shadow step counts from here.
    const mark = plan?.shadowFirst ? await this.shadow.report(name, record.version) : undefined;
    const next = await this.catalog.update(name, (cur) => {
      if (cur && cur.namespace !== namespace) throw new NamespaceMismatchError(name, cur.namespace, namespace);
      const base: FunctionState = cur ?? { name, namespace, createdAt: Date.now(), versions: {}, traffic: emptyTraffic(o.by) };
      const withVersion: FunctionState = { ...base, versions: { ...base.versions, [record.version]: record } };
      if (plan) {
        const already = base.traffic.stable === record.version || (isActive(base.rollout) && base.rollout.version === record.version);
        return already ? withVersion : startRollout(withVersion, record.version, plan, o.by, Date.now(), mark && { samples: mark.samples, agreed: mark.agreed, shadowErrors: mark.shadowErrors });
      }
      const plain = mode.kind === 'rollout' ? ({ kind: 'promote' } as const) : mode;
      const alreadyServing = base.traffic.routes.some((r) => r.version === record.version) && (plain.kind === 'promote' ? base.traffic.stable === record.version : true);
      return pausedByChange(base, { ...withVersion, traffic: alreadyServing ? base.traffic : afterDeploy(withVersion, record.version, plain, o.by) }, o.by, Date.now());
    });
    this.opts.onChange?.(name, next);
    const r = next!.rollout;
    const rollout = r && r.version === record.version && plan ? { state: r.state, step: r.stage, steps: r.plan.steps, intervalMs: r.plan.interval } : undefined;
    return { name, version: record.version, hash, created: !already, traffic: next!.traffic, ...(check ? { check } : {}), ...(rollout ? { rollout } : {}) };
  }

  async get(name: string): Promise<FunctionState> {
    const s = await this.catalog.get(name);
    if (!s) throw new FunctionNotFoundError(name);
    return s;
  }

  list(): Promise<FunctionState[]> {
    return this.catalog.list();
  }

  /** Applies a traffic change computed from the current state (by hand: a progressing rollout it moves pauses). */
  async changeTraffic(name: string, change: (s: FunctionState) => TrafficTable, by: string): Promise<TrafficTable> {
    let missing = false;
    const next = await this.catalog.update(name, (cur) => {
      if (!cur) {
        missing = true;
        return undefined;
      }
      return pausedByChange(cur, { ...cur, traffic: change(cur) }, by, Date.now());
    });
    if (missing || !next) throw new FunctionNotFoundError(name);
    this.opts.onChange?.(name, next);
    return next.traffic;
  }

  setWeights(name: string, routes: { version: string; weight: number }[], by: string) {
    return this.changeTraffic(name, (s) => setWeights(s, routes, by), by);
  }
  setShadow(name: string, shadow: { version: string; percent: number } | null, by: string) {
    return this.changeTraffic(name, (s) => setShadow(s, shadow, by), by);
  }
  promote(name: string, version: string, by: string) {
    return this.changeTraffic(name, (s) => promote(s, version, by), by);
  }
  rollback(name: string, by: string) {
    return this.changeTraffic(name, (s) => rollback(s, by), by);
  }

  /**
   * Removes a function. Refused while jobs are queued or running unless `force`, which cancels
   * the queued ones (running ones finish). Bundles stay in the store: other functions may share
   * them and they are cheap.
   */
  async remove(name: string, force: boolean): Promise<void> {
    await this.get(name);
    const q = this.queues.get(name);
    const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    const queued = (counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0);
    if ((queued > 0 || (counts.active ?? 0) > 0) && !force) throw new FunctionBusyError(name, { waiting: queued, active: counts.active ?? 0 });
    if (force && queued > 0) await q.drain(true);
    await this.catalog.update(name, () => undefined);
    this.opts.onChange?.(name, undefined);
    await this.shadow.clear(name);
  }
}
