import { z } from 'zod';
import { parseDuration } from './duration.ts';
import { fieldPath } from './field-path.ts';
import { parseJsonPointer } from './json-pointer.ts';

const duration = z
  .union([z.string(), z.number()])
  .transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `not a duration: ${JSON.stringify(v)} (use e.g. 500ms, 30s, 5m)` });
      return z.NEVER;
    }
    return ms;
  });

const memory = z.union([z.string(), z.number()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)\s*(b|kib|mib|gib|kb|mb|gb)?$/i.exec(v.trim());
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `not a size: ${JSON.stringify(v)} (use e.g. 256MiB)` });
    return z.NEVER;
  }
  const unit = (m[2] ?? 'b').toLowerCase();
  const mult: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };
  return Math.round(Number(m[1]) * mult[unit]!);
});

/** A secret's name: what a manifest lists under `secrets` and code reads as `ctx.secrets[name]`. */
export const SECRET_NAME = /^[a-z][a-z0-9_-]{0,62}$/;

/** A knowledge collection's name (as a function's): what a manifest lists under `knowledge` and code reads as `ctx.knowledge[name]`. */
export const COLLECTION_NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** A JSON Schema object, checked by the platform (Ajv, draft 2020-12 subset) when the manifest is read. */
const jsonSchema = z.record(z.string(), z.unknown());

/** Defaults of a rollout, as `autoglm deploy --rollout` uses them with no `rollout` section. */
export const ROLLOUT_DEFAULTS = {
  steps: [10, 25, 50, 100],
  interval: 60_000,
  minCalls: 200,
  failureLimit: 2,
  waitLimit: 10,
  gates: { successRate: 0.99, p95Ratio: 1.5, shadowAgreement: 0.95, feedbackDrop: 0.02 },
} as const;

/**
 * What a rollout's window may be at all, ms: calls are counted per second. A platform refuses
 * windows under its own floor too (`AUTOGLM_ROLLOUT_MIN_INTERVAL`, default 5s).
 */
export const ROLLOUT_INTERVAL_RANGE = { min: 1_000, max: 3_600_000 } as const;

const share = z.number().min(0).max(1);

/** A manifest's `rollout` section (and, with the deploy's flags merged in, a rollout's plan). */
export const rolloutSchema = z
  .object({
    /** Percent of calls to the new version, rising; 100 (promotion) is added when missing. Default 10, 25, 50, 100. */
    steps: z
      .array(z.number().int().min(1).max(100))
      .min(1)
      .max(20)
      .refine((a) => a.every((w, i) => i === 0 || w > a[i - 1]!), 'must rise: each step above the one before')
      .transform((a) => (a.at(-1) === 100 ? a : [...a, 100]))
      .default([...ROLLOUT_DEFAULTS.steps]),
    /**
     * Length of one analysis window. Default 1m; 1s to 1h, and no shorter than the platform's
     * `AUTOGLM_ROLLOUT_MIN_INTERVAL` (5s unless its operator says), which the router checks at deploy.
     */
    interval: duration.default(ROLLOUT_DEFAULTS.interval).refine((ms) => ms >= ROLLOUT_INTERVAL_RANGE.min && ms <= ROLLOUT_INTERVAL_RANGE.max, 'must be between 1s and 1h'),
    /** Calls of the new version a window needs for a verdict. Default 200. */
    minCalls: z.number().int().min(1).max(10_000_000).default(ROLLOUT_DEFAULTS.minCalls),
    /** Failed windows (over the whole rollout) that roll it back. Default 2. */
    failureLimit: z.number().int().min(1).max(100).default(ROLLOUT_DEFAULTS.failureLimit),
    /** Windows in a row without a verdict (too few calls) before the rollout pauses. Default 10. */
    waitLimit: z.number().int().min(1).max(1000).default(ROLLOUT_DEFAULTS.waitLimit),
    /** A shadow step first: this percent of calls copied to the new version, judged on agreement. Default none. */
    shadowFirst: z.number().int().min(1).max(100).optional(),
    gates: z
      .object({
        /** Least share of the new version's calls answered without a 5xx or timeout. Default 0.99. */
        successRate: share.default(ROLLOUT_DEFAULTS.gates.successRate),
        /** Most new p95 / stable p95 over the same window. Default 1.5. */
        p95Ratio: z.number().min(1).max(100).default(ROLLOUT_DEFAULTS.gates.p95Ratio),
        /** Least share of shadowed calls whose outputs agree, in the shadow step. Default 0.95. */
        shadowAgreement: share.default(ROLLOUT_DEFAULTS.gates.shadowAgreement),
        /** Most drop of the feedback score against stable, when both have feedback. Default 0.02. */
        feedbackDrop: share.default(ROLLOUT_DEFAULTS.gates.feedbackDrop),
      })
      .strict()
      .default({ ...ROLLOUT_DEFAULTS.gates }),
  })
  .strict();

/** Defaults of a manifest's `training` section. */
export const TRAINING_DEFAULTS = { higherIsBetter: true, tolerance: 0, timeout: 7_200_000, device: 'any', heldOut: 0.2, retries: 0 } as const;

/**
 * A manifest's `training` section: the function exports `train` (see the SDK's `TrainFunction`)
 * and the platform runs it as a training job (`autoglm train`). Absent: the function cannot be trained.
 */
export const trainingSchema = z
  .object({
    /** The metric of `train`'s report that decides whether the new version is worse than stable's. */
    primaryMetric: z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'must be a metric name: letters, digits, _ . -'),
    /** Whether a higher primary metric is better (AUC, accuracy) or lower (loss, error). Default true. */
    higherIsBetter: z.boolean().default(TRAINING_DEFAULTS.higherIsBetter),
    /** How much worse than stable's the primary metric may be and still be deployed. Default 0. */
    tolerance: z.number().min(0).max(1e9).default(TRAINING_DEFAULTS.tolerance),
    /** Longest a training may run before it is stopped (failed, no version). Default 2h; 10s to 7d. */
    timeout: duration.default(TRAINING_DEFAULTS.timeout).refine((ms) => ms >= 10_000 && ms <= 7 * 86_400_000, 'must be between 10s and 7d'),
    /** Device to train on: `gpu` takes a GPU slot where the pool has one, else a CPU slot. Default `any`. */
    device: z.enum(['cpu', 'gpu', 'any']).default(TRAINING_DEFAULTS.device),
    /** Share of the uploaded records kept out of training, for evaluation (by line number). Default 0.2. */
    heldOut: z.number().min(0.01).max(0.5).default(TRAINING_DEFAULTS.heldOut),
    /** Extra attempts after a failure `train` marks retryable (`FunctionError(…, { retryable: true })`). Default 0. */
    retries: z.number().int().min(0).max(10).default(TRAINING_DEFAULTS.retries),
    /** JSON Schema of one dataset record: every line of an upload is checked (the error names the line). Default: any JSON object. */
    record: jsonSchema.default({ type: 'object' }),
  })
  .strict();

/** Defaults of a manifest's `cache` section. */
export const CACHE_DEFAULTS = { maxEntries: 10_000, maxBytes: 64 * 1024 * 1024 } as const;

/**
 * A manifest's `cache` section: the function is deterministic, so the router may answer a
 * synchronous call whose version, input and secret and knowledge versions it answered within
 * `ttl` from the result it kept, without the queue. Bounded per function by `maxEntries` and
 * `maxBytes` (sealed bytes), the entries soonest to expire going first.
 */
export const cacheSchema = z
  .object({
    /** How long an answer may be served again. 1s to 24h. */
    ttl: duration.refine((ms) => ms >= 1_000 && ms <= 86_400_000, 'must be between 1s and 24h'),
    /** Most entries kept for the function. Default 10,000. */
    maxEntries: z.number().int().min(1).max(1_000_000).default(CACHE_DEFAULTS.maxEntries),
    /** Most bytes (sealed) kept for the function; a larger answer is not kept. Default 64MiB; at most 1GiB. */
    maxBytes: memory.default(CACHE_DEFAULTS.maxBytes).refine((b) => b >= 1024 && b <= 1024 ** 3, 'must be between 1KiB and 1GiB'),
  })
  .strict();

/** A compiled cache section: the TTL in ms, the size in bytes. */
export type CacheSettings = z.output<typeof cacheSchema>;

/** A compiled training section: the timeout in ms. */
export type TrainingSettings = z.output<typeof trainingSchema>;

/** A compiled rollout section: durations in ms, steps ending at 100. */
export type RolloutSettings = z.output<typeof rolloutSchema>;

/**
 * The manifest schema (`manifest.yaml` in a function folder). Every field documents its default;
 * parsing compiles durations to milliseconds and sizes to bytes.
 */
export const manifestSchema = z
  .object({
    /** DNS-label-like name: lowercase letters, digits and dashes. */
    name: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be 1–63 lowercase letters, digits and dashes, starting with a letter'),
    description: z.string().default(''),
    /** Handler module, relative to the folder. */
    entry: z.string().min(1).default('handler.ts'),
    /** JSON Schema of one input item. Default: any JSON value. */
    input: jsonSchema.default({}),
    /** JSON Schema of one output item (documentation; checked in tests). */
    output: jsonSchema.default({}),
    /** Longest a single attempt may run, and the default wait for a synchronous call. Default 30s. */
    timeout: duration.default(30_000),
    /** Extra attempts after a retryable failure. Default 2. */
    retries: z.number().int().min(0).max(20).default(2),
    /** First retry delay; doubles each attempt. Default 200ms. */
    retryBackoff: duration.default(200),
    /** Jobs one worker process runs at once. Default 16. */
    concurrency: z.number().int().min(1).max(1024).default(16),
    batching: z
      .object({
        /** Largest batch the handler receives. Default 1 (no batching). */
        maxSize: z.number().int().min(1).max(4096).default(1),
        /** Longest a job waits for companions. Default 0. */
        maxDelay: duration.default(0),
      })
      .default({ maxSize: 1, maxDelay: 0 }),
    /** Device the function needs. Default `any`. */
    device: z.enum(['cpu', 'gpu', 'any']).default('any'),
    /** Memory the loaded model needs, for placement and the model cache budget. Default 64MiB. */
    memory: memory.default(64 * 1024 * 1024),
    /** Load at worker start rather than on first call. Default false. */
    warm: z.boolean().default(false),
    /**
     * Where the handler runs in a worker: `thread` (default), on the worker's inference thread,
     * so CPU-heavy code never delays the queue's lock renewals; `inline`, on the worker's main
     * thread, which saves two thread hops per batch. Inline is for light handlers without a model:
     * they share the event loop with the queue's lock renewals (the lock stays short), and a
     * handler that blocks it gets the worker replaced by the hang check.
     */
    isolation: z.enum(['thread', 'inline']).default('thread'),
    /** Model files shipped with the function, relative to the folder. */
    artifacts: z.array(z.string()).default([]),
    /**
     * Settings the code reads as `ctx.env` (thresholds, feature switches), part of the version:
     * a change is a new version, rolled out like code (canary, rollback). Bundles are stored as
     * they are, so this is not for secrets. `autoglm deploy --env KEY=VALUE` sets one at deploy.
     */
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be a variable name: letters, digits and _, not starting with a digit'), z.string().max(4096))
      .refine((e) => Object.keys(e).length <= 100, 'at most 100 settings')
      .default({}),
    /**
     * Secrets of the function's namespace the code reads as `ctx.secrets` (set with `autoglm
     * secret set`). Only names are part of the version: values are sealed in the platform, a
     * deploy naming one that does not exist is refused, and a new value reaches loaded versions
     * without a deploy.
     */
    secrets: z
      .array(z.string().regex(SECRET_NAME, 'must be 1–63 lowercase letters, digits, _ and -, starting with a letter'))
      .max(50)
      .refine((a) => new Set(a).size === a.length, 'lists a secret twice')
      .default([]),
    /**
     * Knowledge collections of the function's namespace `load` reads as `ctx.knowledge` (put with
     * `autoglm knowledge put`). Only names are part of the version: a deploy naming one that does
     * not exist is refused, and a new collection version reaches loaded versions without a deploy.
     */
    knowledge: z
      .array(z.string().regex(COLLECTION_NAME, 'must be 1–63 lowercase letters, digits and dashes, starting with a letter'))
      .max(20)
      .refine((a) => new Set(a).size === a.length, 'lists a collection twice')
      .default([]),
    /**
     * Watch live inputs for drift from the training data: the handler module's `features(input)`
     * maps each input to named numbers, counted into the bins of `baseline` (a JSON file in the
     * folder, made by the training script: `buildBaseline` of the SDK's drift module) over a
     * sliding `window`; the population stability index per feature is `warn` from `warn`, `drift`
     * from `drift`, once `minCount` values were seen. Absent: no drift watch.
     */
    drift: z
      .object({
        baseline: z.string().min(1),
        window: duration.default(3_600_000).refine((ms) => ms >= 60_000 && ms <= 86_400_000, 'must be between 1m and 24h'),
        minCount: z.number().int().min(1).max(10_000_000).default(500),
        warn: z.number().positive().default(0.1),
        drift: z.number().positive().default(0.2),
      })
      .strict()
      .refine((d) => d.warn <= d.drift, { message: 'warn must not be above drift', path: ['warn'] })
      .optional(),
    /**
     * How new versions of the function roll out when deployed (`autoglm deploy` rolls out when
     * this is present; its flags override any field): traffic to the new version goes through
     * `steps` (percent), each held for windows of `interval` in which the new version's own
     * calls are compared with the stable version's over the same window; every gate passing
     * moves to the next step, `failureLimit` failed windows roll back. Absent: deploys promote
     * (or canary, shadow) as their flags say.
     */
    rollout: rolloutSchema.optional(),
    /** Answers kept for calls that repeat (the function is deterministic). Absent: every call runs. */
    cache: cacheSchema.optional(),
    /** How the function is retrained by the platform (it exports `train`). Absent: not trainable. */
    training: trainingSchema.optional(),
    /**
     * How feedback on outputs is scored (`POST /v1/jobs/{id}/feedback`). `label`: a JSON Pointer
     * (RFC 6901) to the part of the output a label gives the right value of (`/intent`): a label
     * agrees when it equals that part. It is also the answer a shadow copy must agree on with the
     * serving call (scores may move; the answer may not). Absent (or no `label`): a label, and a
     * shadow copy, is compared with the whole output.
     */
    feedback: z
      .object({
        label: z
          .string()
          .max(512)
          .refine((p) => parseJsonPointer(p) !== undefined, 'must be a JSON Pointer (RFC 6901): empty, or "/" then members separated by "/" (e.g. /intent), with ~0 for ~ and ~1 for /')
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** A parsed, compiled manifest (durations in ms, sizes in bytes). */
export type Manifest = z.output<typeof manifestSchema>;

/** One problem found in a manifest, naming the field. */
export interface ManifestIssue {
  field: string;
  message: string;
}

/** Parses a manifest object; returns the compiled manifest or every issue found. */
export function parseManifest(raw: unknown): { ok: true; manifest: Manifest } | { ok: false; issues: ManifestIssue[] } {
  const r = manifestSchema.safeParse(raw);
  if (r.success) return { ok: true, manifest: r.data };
  return {
    ok: false,
    issues: r.error.issues.map((i) => ({ field: fieldPath('', i.path.map((s) => (typeof s === 'number' ? s : String(s)))) || '(root)', message: i.message })),
  };
}
