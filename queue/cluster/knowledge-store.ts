import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { COLLECTION_NAME } from '../../functions/sdk/index.ts';
import { documentsOf, type KnowledgeCollection, type KnowledgeFile } from '../../functions/sdk/knowledge/index.ts';
import { PlatformError } from '../platform-error.ts';
import { keys } from '../keys.ts';
import { watchChannel } from './channel-watch.ts';
import type { PayloadCipher, SealedInline } from './payload-cipher.ts';

/** What anyone who may see a collection sees of it: never its text. */
export interface CollectionInfo {
  name: string;
  namespace: string;
  /** First 12 hex digits of the sha256 of its files (paths and contents): the same files, the same version. */
  version: string;
  files: number;
  bytes: number;
  documents: number;
  createdAt: number;
  updatedAt: number;
  /** Who put the current version. */
  updatedBy: string;
}

/** A collection put or removed (`version` null), or undefined: any may have changed (a reconnect hid the news). */
export type KnowledgeChange = { namespace: string; name: string; version: string | null } | undefined;

/** Options of a {@link KnowledgeStore}. */
export interface KnowledgeStoreOptions {
  /** Largest collection, bytes of its files (`AUTOGLM_KNOWLEDGE_LIMIT`) [16 MiB]. */
  maxBytes?: number;
  /** Most files in a collection [10,000]. */
  maxFiles?: number;
}

/** How long a replaced version stays readable: a worker loading it as it was replaced still finds it. */
const REPLACED_TTL_S = 3_600;

/** Binds sealed files to their place: a blob moved to another name, namespace or version does not open. */
const aad = (ns: string, name: string, version: string) => `knowledge:${ns}/${name}@${version}`;

// A collection name: the SDK's rule, as manifests name collections.
export { COLLECTION_NAME };

/** A file path inside a collection: relative, `/`-separated, no `.` or `..` segments, printable. */
const SAFE_PATH = /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;

/** The version of a set of files: sha256 over each file's path and content, in path order. */
export function collectionVersion(files: readonly KnowledgeFile[]): string {
  const h = createHash('sha256');
  for (const f of [...files].sort((a, b) => a.path.localeCompare(b.path))) {
    h.update(`${f.path}\0${f.data.length}\0`);
    h.update(f.data);
  }
  return h.digest('hex').slice(0, 12);
}

/**
 * Named document collections per namespace (company policies a reply generator grounds on),
 * versioned by content, their files sealed with the namespace's key. The router puts and lists
 * them; workers open the ones a loaded version's manifest names, and load that version again when
 * a collection changes (the change is announced), so new text reaches the functions without a
 * deploy.
 */
export class KnowledgeStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly cipher: PayloadCipher,
    private readonly opts: KnowledgeStoreOptions = {},
  ) {}

  /** Largest collection, bytes. */
  get maxBytes(): number {
    return this.opts.maxBytes ?? 16 * 1024 * 1024;
  }

  /**
   * Makes `files` the collection's current version (the same files again change nothing).
   * @throws KnowledgeInvalidError naming the file that is not a document, a bad path or a limit passed
   */
  async put(namespace: string, name: string, files: readonly KnowledgeFile[], by: string): Promise<{ changed: boolean; info: CollectionInfo }> {
    if (!COLLECTION_NAME.test(name)) throw new KnowledgeInvalidError('name', 'must be 1–63 lowercase letters, digits and dashes, starting with a letter');
    if (files.length === 0) throw new KnowledgeInvalidError('files', 'a collection needs at least one file');
    if (files.length > (this.opts.maxFiles ?? 10_000)) throw new KnowledgeInvalidError('files', `at most ${this.opts.maxFiles ?? 10_000} files`);
    const seen = new Set<string>();
    let bytes = 0;
    for (const f of files) {
      if (!SAFE_PATH.test(f.path) || f.path.length > 512) throw new KnowledgeInvalidError('files', `${JSON.stringify(f.path)} is not a safe relative path`);
      if (seen.has(f.path)) throw new KnowledgeInvalidError('files', `${f.path} is given twice`);
      seen.add(f.path);
      bytes += f.data.length;
    }
    if (bytes > this.maxBytes) throw new KnowledgeInvalidError('files', `the files hold ${bytes} bytes, more than the limit of ${this.maxBytes} (AUTOGLM_KNOWLEDGE_LIMIT)`);
    let documents: number;
    try {
      documents = documentsOf(files).length;
    } catch (err) {
      throw new KnowledgeInvalidError('files', (err as Error).message);
    }
    const version = collectionVersion(files);
    const prior = await this.info(namespace, name);
    if (prior?.version === version) return { changed: false, info: prior };
    const now = Date.now();
    const info: CollectionInfo = { name, namespace, version, files: files.length, bytes, documents, createdAt: prior?.createdAt ?? now, updatedAt: now, updatedBy: by };
    const sealed = this.cipher.seal(files.map((f) => ({ path: f.path, data: f.data.toString('base64') })), aad(namespace, name, version), namespace)!;
    const m = this.redis.multi().set(keys.knowledgeVersion(this.prefix, namespace, name, version), JSON.stringify(sealed));
    m.hset(keys.knowledge(this.prefix, namespace), name, JSON.stringify(info));
    if (prior) m.expire(keys.knowledgeVersion(this.prefix, namespace, name, prior.version), REPLACED_TTL_S);
    m.publish(keys.knowledgeChannel(this.prefix), JSON.stringify({ namespace, name, version }));
    await m.exec();
    return { changed: true, info };
  }

  async info(namespace: string, name: string): Promise<CollectionInfo | undefined> {
    const raw = await this.redis.hget(keys.knowledge(this.prefix, namespace), name);
    return raw ? (JSON.parse(raw) as CollectionInfo) : undefined;
  }

  /** A namespace's collections, by name. */
  async list(namespace: string): Promise<CollectionInfo[]> {
    const all = await this.redis.hgetall(keys.knowledge(this.prefix, namespace));
    return Object.values(all)
      .map((raw) => JSON.parse(raw) as CollectionInfo)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Which of `names` the namespace lacks. */
  async missing(namespace: string, names: readonly string[]): Promise<string[]> {
    if (names.length === 0) return [];
    const found = await this.redis.hmget(keys.knowledge(this.prefix, namespace), ...names);
    return names.filter((_, i) => found[i] === null);
  }

  /**
   * The files of the current version (or of `version`, while it is kept): what `put` took.
   * @throws KnowledgeMissingError
   */
  async files(namespace: string, name: string, version?: string): Promise<{ info: CollectionInfo; files: KnowledgeFile[] }> {
    const info = await this.info(namespace, name);
    if (!info) throw new KnowledgeMissingError(namespace, [name]);
    return this.filesOf({ ...info, version: version ?? info.version });
  }

  /** The files of the version `info` names, opened. */
  private async filesOf(info: CollectionInfo): Promise<{ info: CollectionInfo; files: KnowledgeFile[] }> {
    const { namespace, name, version } = info;
    const raw = await this.redis.get(keys.knowledgeVersion(this.prefix, namespace, name, version));
    if (!raw) throw new KnowledgeMissingError(namespace, [`${name}@${version}`]);
    const files = this.cipher.open(JSON.parse(raw) as SealedInline, aad(namespace, name, version)) as { path: string; data: string }[];
    return { info, files: files.map((f) => ({ path: f.path, data: Buffer.from(f.data, 'base64') })) };
  }

  /**
   * The current version of each of `names`, as function code reads them (for a worker loading a
   * version whose manifest lists them).
   * @throws KnowledgeMissingError naming those the namespace lacks
   */
  async open(namespace: string, names: readonly string[]): Promise<Record<string, KnowledgeCollection>> {
    // One read of the infos, then each version's files: not an info read per name besides.
    const raws = names.length ? await this.redis.hmget(keys.knowledge(this.prefix, namespace), ...names) : [];
    const lacking = names.filter((_, i) => raws[i] === null);
    if (lacking.length) throw new KnowledgeMissingError(namespace, lacking, 'manifest');
    const opened = await Promise.all(raws.map((raw) => this.filesOf(JSON.parse(raw!) as CollectionInfo)));
    return Object.fromEntries(opened.map(({ info, files }) => [info.name, { name: info.name, version: info.version, documents: documentsOf(files) }]));
  }

  /** Removes a collection (its last version stays readable an hour, for loads under way); says whether there was one. */
  async remove(namespace: string, name: string): Promise<boolean> {
    const prior = await this.info(namespace, name);
    if (!prior) return false;
    await this.redis
      .multi()
      .hdel(keys.knowledge(this.prefix, namespace), name)
      .expire(keys.knowledgeVersion(this.prefix, namespace, name, prior.version), REPLACED_TTL_S)
      .publish(keys.knowledgeChannel(this.prefix), JSON.stringify({ namespace, name, version: null }))
      .exec();
    return true;
  }

  /**
   * Calls `onChange` after every put or removal, and with undefined after a reconnect, when
   * changes may have been missed. `subscriber` must be a connection dedicated to subscriptions
   * (it may carry others). Returns a stop function.
   */
  async watch(subscriber: Redis, onChange: (c: KnowledgeChange) => void): Promise<() => Promise<void>> {
    return watchChannel(subscriber, keys.knowledgeChannel(this.prefix), parseChange, onChange);
  }
}

function parseChange(msg: string): KnowledgeChange {
  try {
    const c = JSON.parse(msg) as { namespace?: unknown; name?: unknown; version?: unknown };
    return typeof c.namespace === 'string' && typeof c.name === 'string' ? { namespace: c.namespace, name: c.name, version: typeof c.version === 'string' ? c.version : null } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The namespace has no collection of these names: a version that lists them is refused at deploy
 * and fails at load (`at` `manifest`: its `knowledge` field named them, as a missing secret names
 * `secrets`); a request that names one gets a 404 saying where it named it (`at`: the path's `name`).
 */
export class KnowledgeMissingError extends PlatformError {
  override readonly name = 'KnowledgeMissingError';
  constructor(namespace: string, collections: string[], at?: 'manifest' | { field: string; in: 'path' | 'query' }) {
    super('KNOWLEDGE_MISSING', `namespace '${namespace}' has no knowledge collection ${collections.map((c) => `'${c}'`).join(', ')} (put it with \`autoglm knowledge put\`)`, {
      extra: at === 'manifest' ? { field: 'knowledge', in: 'manifest', collections } : { ...at, namespace, collections },
    });
  }
}

/** Files that cannot be a collection: `field` names what is wrong (`name`, `files`). */
export class KnowledgeInvalidError extends PlatformError {
  override readonly name = 'KnowledgeInvalidError';
  constructor(field: string, message: string) {
    super('KNOWLEDGE_INVALID', `${field}: ${message}`, { extra: { field } });
  }
}
