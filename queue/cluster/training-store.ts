import type { Redis } from 'ioredis';
import type { ErrorRecord, TrainingProgress } from '../../functions/sdk/index.ts';
import { keys } from '../keys.ts';
import { isSealedApart, type PayloadCipher } from './payload-cipher.ts';

/** Where a training is: `queued` → `running` → `finishing` (files stored, a router records the version) → an end. */
export type TrainingStatus = 'queued' | 'running' | 'finishing' | 'succeeded' | 'rejected' | 'failed' | 'cancelled';

/** The statuses a training ends in. */
export const TRAINING_ENDS: readonly TrainingStatus[] = ['succeeded', 'rejected', 'failed', 'cancelled'];

/** What to do with the new version: a shadow of stable, the function's rollout, or nothing (record it only). */
export type TrainingThen = 'shadow' | 'rollout' | 'none';

/** What was asked, fixed at creation. */
export interface TrainingRequest {
  id: string;
  function: string;
  namespace: string;
  /** The version retrained: its code and files are the new version's, but for those `train` writes. */
  version: string;
  /** Its bundle's hash (the artifact the worker opens). */
  hash: string;
  then: TrainingThen;
  /** The manifest's `training.primaryMetric`: what the new version is judged by. */
  primaryMetric: string;
  /** The device kind it was queued for. */
  device: 'cpu' | 'gpu';
  dataset: {
    /** sha256 (hex) of the uploaded bytes, or of the export for `feedback`. */
    hash: string;
    records: number;
    bytes: number;
    chunks: number;
    source: 'upload' | 'feedback';
    /** The held-out share the manifest set, as the split was made. */
    heldOut: number;
  };
  createdAt: number;
  createdBy: string;
}

/** How a training ended well: the version it made and what became of it. */
export interface TrainingOutcome {
  version: string;
  primaryMetric: string;
  higherIsBetter: boolean;
  metrics: Record<string, number>;
  baseline?: Record<string, number>;
  /** `better`, `within` tolerance, `worse` (not deployed), or `unmeasured` (no baseline value). */
  verdict: 'better' | 'within' | 'worse' | 'unmeasured';
  /** What was done with it: `none` when `then` was none or the verdict was worse. */
  deployed: TrainingThen;
  /** Why it was not deployed, when `then` asked for it. */
  reason?: string;
  details?: Record<string, unknown>;
}

/** What the files a training wrote carry to the router that records the version. */
export interface TrainedFiles {
  files: { path: string; data: Buffer }[];
  metrics: Record<string, number>;
  baseline?: Record<string, number>;
  details?: Record<string, unknown>;
}

/** A training as anyone who may read it sees it. */
export interface TrainingView extends TrainingRequest {
  status: TrainingStatus;
  worker?: string;
  attempt?: number;
  startedAt?: number;
  finishedAt?: number;
  progress?: TrainingProgress & { at: number };
  result?: TrainingOutcome;
  error?: ErrorRecord;
  cancel?: { by: string; at: number };
}

/** How long a running training's records live before it ends (a pool that never comes back). */
const RUNNING_TTL_S = 7 * 86_400;

/** Binds a sealed chunk to its training and place: a chunk moved elsewhere does not open. */
const chunkAad = (id: string, n: number) => `training:${id}:data:${n}`;
const outAad = (id: string) => `training:${id}:out`;

/**
 * Trainings in Redis: the request, status and progress in one hash per training (fields written
 * apart, so the worker's progress and a router's cancel never overwrite each other), the uploaded
 * dataset in sealed chunks of whole lines, and the files a finished training wrote, sealed, until
 * a router records them as a version. BullMQ carries the work (`train.<kind>` queues); this is
 * what people read.
 */
export class TrainingStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly cipher: PayloadCipher,
  ) {}

  /** Stores dataset chunk `n` (whole JSON Lines) of training `id`, sealed with its namespace's key. */
  async putChunk(id: string, namespace: string, n: number, lines: Buffer): Promise<void> {
    const at = keys.trainingData(this.prefix, id, n);
    const { sealed, ct } = this.cipher.sealApart(lines, chunkAad(id, n), namespace, at);
    const k = keys.training(this.prefix, id);
    await this.redis.multi().set(at, ct, 'EX', RUNNING_TTL_S).hset(k, `d${n}`, JSON.stringify(sealed)).expire(k, RUNNING_TTL_S).exec();
  }

  /** Chunk `n` of training `id`, opened: whole JSON Lines. */
  async chunk(id: string, n: number): Promise<Buffer> {
    const [head, ct] = await Promise.all([this.redis.hget(keys.training(this.prefix, id), `d${n}`), this.redis.getBuffer(keys.trainingData(this.prefix, id, n))]);
    if (!head || !ct) throw new Error(`training ${id}: dataset chunk ${n} is gone`);
    const sealed = JSON.parse(head) as unknown;
    if (!isSealedApart(sealed)) throw new Error(`training ${id}: dataset chunk ${n} is not sealed as stored`);
    return this.cipher.openBytes(sealed, chunkAad(id, n), ct);
  }

  /** Records a training whose chunks are stored, as `queued`. */
  async create(req: TrainingRequest): Promise<void> {
    const k = keys.training(this.prefix, req.id);
    await this.redis
      .multi()
      .hset(k, 'record', JSON.stringify(req), 'status', JSON.stringify('queued'))
      .expire(k, RUNNING_TTL_S)
      .zadd(keys.trainings(this.prefix, req.function), req.createdAt, req.id)
      .exec();
  }

  async get(id: string): Promise<TrainingView | undefined> {
    const h = await this.redis.hgetall(keys.training(this.prefix, id));
    if (!h.record) return undefined;
    const f = (name: string) => (h[name] === undefined ? undefined : JSON.parse(h[name]!));
    const run = f('run') as { worker: string; attempt: number; startedAt: number } | undefined;
    return {
      ...(JSON.parse(h.record) as TrainingRequest),
      status: f('status') as TrainingStatus,
      ...(run ?? {}),
      ...(h.finishedAt ? { finishedAt: Number(h.finishedAt) } : {}),
      ...(h.progress ? { progress: f('progress') } : {}),
      ...(h.result ? { result: f('result') } : {}),
      ...(h.error ? { error: f('error') } : {}),
      ...(h.cancel ? { cancel: f('cancel') } : {}),
    };
  }

  /** A function's trainings, newest first, up to `limit`. */
  async list(fn: string, limit = 50): Promise<TrainingView[]> {
    const ids = await this.redis.zrevrange(keys.trainings(this.prefix, fn), 0, limit - 1);
    const views = await Promise.all(ids.map((id) => this.get(id)));
    const gone = ids.filter((_, i) => !views[i]);
    if (gone.length) await this.redis.zrem(keys.trainings(this.prefix, fn), ...gone);
    return views.filter((v): v is TrainingView => v !== undefined);
  }

  /** A worker took it (attempt n). */
  async running(id: string, worker: string, attempt: number): Promise<void> {
    await this.redis.hset(keys.training(this.prefix, id), 'status', JSON.stringify('running'), 'run', JSON.stringify({ worker, attempt, startedAt: Date.now() }));
  }

  async progress(id: string, p: TrainingProgress): Promise<void> {
    await this.redis.hset(keys.training(this.prefix, id), 'progress', JSON.stringify({ ...p, at: Date.now() }));
  }

  /** Stores the files `train` wrote (sealed) and marks the training `finishing`. */
  async trained(id: string, namespace: string, out: TrainedFiles): Promise<void> {
    const body = { ...out, files: out.files.map((f) => ({ path: f.path, data: f.data.toString('base64') })) };
    const sealed = this.cipher.seal(body, outAad(id), namespace);
    await this.redis
      .multi()
      .set(keys.trainingOut(this.prefix, id), JSON.stringify(sealed), 'EX', RUNNING_TTL_S)
      .hset(keys.training(this.prefix, id), 'status', JSON.stringify('finishing'))
      .exec();
  }

  /** The files a training wrote, opened; undefined once recorded. */
  async trainedFiles(id: string): Promise<TrainedFiles | undefined> {
    const raw = await this.redis.get(keys.trainingOut(this.prefix, id));
    if (!raw) return undefined;
    const body = this.cipher.open(JSON.parse(raw), outAad(id)) as Omit<TrainedFiles, 'files'> & { files: { path: string; data: string }[] };
    return { ...body, files: body.files.map((f) => ({ path: f.path, data: Buffer.from(f.data, 'base64') })) };
  }

  /**
   * Ends a training: its status, outcome or error, and its data gone (the chunks and stored
   * files); the record stays `keepS` seconds. Returns false when it had already ended (the first
   * end wins: a cancel and a finish racing leave one answer).
   */
  async end(id: string, status: Exclude<TrainingStatus, 'queued' | 'running' | 'finishing'>, o: { result?: TrainingOutcome; error?: ErrorRecord; keepS: number }): Promise<boolean> {
    const k = keys.training(this.prefix, id);
    const fields = ['status', JSON.stringify(status), 'finishedAt', String(Date.now())];
    if (o.result) fields.push('result', JSON.stringify(o.result));
    if (o.error) fields.push('error', JSON.stringify(o.error));
    const ended = (await this.redis.eval(END, 1, k, JSON.stringify(TRAINING_ENDS), o.keepS, ...fields)) as number;
    if (!ended) return false;
    const chunks = Object.keys(await this.redis.hgetall(k)).filter((f) => /^d\d+$/.test(f));
    const m = this.redis.multi().del(keys.trainingOut(this.prefix, id));
    for (const c of chunks) m.del(keys.trainingData(this.prefix, id, Number(c.slice(1)))).hdel(k, c);
    await m.exec();
    return true;
  }

  /**
   * Claims the recording of training `id`'s end (its `training.end` audit record): true for the
   * first caller only, so a finish job run twice records the end once.
   */
  async claimEndRecord(id: string): Promise<boolean> {
    return ((await this.redis.eval(CLAIM_END_RECORD, 1, keys.training(this.prefix, id))) as number) === 1;
  }

  /** Removes every trace of a training that never started (an upload refused part-way): its chunks and record. */
  async discard(id: string, fn: string, chunks: number): Promise<void> {
    const m = this.redis.multi().del(keys.training(this.prefix, id)).zrem(keys.trainings(this.prefix, fn), id);
    for (let n = 0; n < chunks; n++) m.del(keys.trainingData(this.prefix, id, n));
    await m.exec();
  }

  /** Asks a training to stop; true when it had not ended. The worker running it hears it on the channel (and checks the field). */
  async requestCancel(id: string, by: string): Promise<boolean> {
    const v = await this.get(id);
    if (!v || TRAINING_ENDS.includes(v.status)) return false;
    await this.redis
      .multi()
      .hset(keys.training(this.prefix, id), 'cancel', JSON.stringify({ by, at: Date.now() }))
      .publish(keys.trainingCancelChannel(this.prefix), id)
      .exec();
    return true;
  }

  /** Whether a cancel was asked for training `id`. */
  async cancelAsked(id: string): Promise<boolean> {
    return (await this.redis.hexists(keys.training(this.prefix, id), 'cancel')) === 1;
  }

  /** Calls `onCancel(id)` for every cancel asked. `subscriber` is a connection for subscriptions. Returns a stop function. */
  async watchCancels(subscriber: Redis, onCancel: (id: string) => void): Promise<() => Promise<void>> {
    const channel = keys.trainingCancelChannel(this.prefix);
    const listener = (ch: string, msg: string) => {
      if (ch === channel) onCancel(msg);
    };
    subscriber.on('message', listener);
    await subscriber.subscribe(channel);
    return async () => {
      subscriber.off('message', listener);
      await subscriber.unsubscribe(channel).catch(() => undefined);
    };
  }
}

// KEYS: 1 the training's hash. ARGV: 1 the end statuses (JSON list), 2 how long the record stays, s,
// 3… field, value pairs to set. Sets them and the expiry unless the status is already an end.
// Returns 1 when it ended the training, 0 when it had ended already (or there is no such training).
const END = `
local cur = redis.call('HGET', KEYS[1], 'status')
if not cur then return 0 end
for _, e in ipairs(cjson.decode(ARGV[1])) do
  if cur == cjson.encode(e) then return 0 end
end
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
`;

// KEYS: 1 the training's hash. Sets its `endRecorded` field unless set, or the record is gone (it
// expired: no field is left behind without an expiry). Returns 1 when it set it, 0 otherwise.
const CLAIM_END_RECORD = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HSETNX', KEYS[1], 'endRecorded', '1')
`;
