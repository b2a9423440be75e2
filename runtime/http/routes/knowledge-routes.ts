import { isUtf8 } from 'node:buffer';
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { COLLECTION_NAME, KnowledgeMissingError, type CollectionInfo, type KnowledgeStore } from '../../../queue/cluster/index.ts';
import type { KnowledgeFile } from '../../../functions/sdk/index.ts';
import { auditRequest, type AuditLog } from '../../audit/index.ts';
import { authorize } from '../../auth/index.ts';
import type { AppEnv } from '../app-deps.ts';
import { auditAction } from '../audit-action.ts';
import { ValidationError } from '../errors.ts';
import { PlatformError } from '../../../queue/platform-error.ts';
import { namespaceQuery, problems } from '../schemas.ts';
import { responseHeaders } from '../response-headers.ts';

/** What the knowledge routes need: the store (its `maxBytes` is `AUTOGLM_KNOWLEDGE_LIMIT`) and the audit trail reads are recorded in. */
export interface KnowledgeRouteDeps {
  knowledge: Pick<KnowledgeStore, 'put' | 'info' | 'list' | 'files' | 'remove' | 'maxBytes'>;
  auditLog?: AuditLog | undefined;
  /** The functions of a namespace whose serving versions list a collection: a removal is refused while any do [none checked]. */
  usersOf?: (namespace: string, name: string) => string[];
}

/**
 * Largest body of `PUT /v1/knowledge/{name}`: the files as JSON strings (text escaped, or base64:
 * 4/3 of their bytes) may take up to about twice their size, plus room for paths and the object
 * around them. The files themselves are held to `maxBytes` by the store, which names the limit.
 */
export const knowledgeBodyLimit = (maxBytes: number): number => 2 * maxBytes + 1024 * 1024;

/** Whether a request is a collection upload: the app reads its body with {@link knowledgeBodyLimit}, not `AUTOGLM_BODY_LIMIT`. */
export const isKnowledgeUpload = (method: string, path: string): boolean => method === 'PUT' && /^\/v1\/knowledge\/[^/]+$/.test(path);

const NameParam = z.object({
  name: z
    .string()
    .regex(COLLECTION_NAME, 'must be 1–63 lowercase letters, digits and dashes, starting with a letter')
    .openapi({ param: { name: 'name', in: 'path' }, example: 'store-policies' }),
});

const NamespaceQuery = namespaceQuery("The namespace the collection belongs to: its functions' namespace.");

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** One file on the wire: its text when it is UTF-8 (what people write and curl sends), else its bytes in base64. */
const WireFile = z
  .object({
    path: z.string().min(1).max(512).openapi({ description: 'Relative, `/`-separated, no `.` or `..` segments; its extension says how it is read (.md, .markdown, .txt, .json, .jsonl).', example: 'refunds/eu.md' }),
    text: z.string().optional().openapi({ description: 'The content as UTF-8 text.' }),
    base64: z.string().regex(BASE64, 'must be base64').optional().openapi({ description: 'The content as base64 (for bytes that are not UTF-8). Give `text` or `base64`, not both.' }),
  })
  .strict()
  .openapi('KnowledgeFile');

const PutBody = z.object({ files: z.array(WireFile).min(1) }).strict().openapi('KnowledgeFiles');

const Collection = z
  .object({
    name: z.string(),
    namespace: z.string(),
    version: z.string().openapi({ description: 'First 12 hex digits of the sha256 of its files (paths and contents): the same files, the same version.' }),
    files: z.number().int(),
    bytes: z.number().int().openapi({ description: 'Bytes of its files (at most AUTOGLM_KNOWLEDGE_LIMIT).' }),
    documents: z.number().int().openapi({ description: 'Documents functions read: one per Markdown or text file, one per JSON document or JSON Lines line.' }),
    createdAt: z.string().openapi({ description: 'ISO 8601' }),
    updatedAt: z.string().openapi({ description: 'ISO 8601: when the current version was put.' }),
    updatedBy: z.string().openapi({ description: 'Who put the current version.' }),
  })
  .openapi('KnowledgeCollection');

const PutAnswer = Collection.extend({ changed: z.boolean().openapi({ description: 'False: the same files were there already (nothing was written or announced).' }) }).openapi('KnowledgePut');

const FilesAnswer = z
  .object({ name: z.string(), namespace: z.string(), version: z.string(), files: z.array(WireFile) })
  .openapi('KnowledgeCollectionFiles');

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const sec = [{ bearer: [] }];

const putRoute = createRoute({
  method: 'put',
  path: '/v1/knowledge/{name}',
  middleware: auditAction('knowledge.put'),
  summary: "Put a collection's files as its new version; functions that read it load again with it",
  security: sec,
  request: { params: NameParam, query: NamespaceQuery, body: { content: { 'application/json': { schema: PutBody } }, required: true } },
  responses: { 200: json(PutAnswer, 'Replaced, or unchanged (`changed` false)'), 201: { ...json(PutAnswer, 'Created; `Location` is the collection'), headers: responseHeaders('Location') }, ...problems(400, 401, 403, 404, 413, 415) },
});

const listRoute = createRoute({
  method: 'get',
  path: '/v1/knowledge',
  // Derived, it would be getKnowledge, as reading one collection is: knowledge has no plural.
  operationId: 'listKnowledge',
  summary: "A namespace's collections (never their text)",
  security: sec,
  request: { query: NamespaceQuery },
  responses: { 200: json(z.object({ items: z.array(Collection) }), 'Collections, by name'), ...problems(400, 401, 403) },
});

const getRoute = createRoute({
  method: 'get',
  path: '/v1/knowledge/{name}',
  summary: 'One collection: its version and size (never its text)',
  security: sec,
  request: { params: NameParam, query: NamespaceQuery },
  responses: { 200: json(Collection, 'The collection'), ...problems(400, 401, 403, 404) },
});

const filesRoute = createRoute({
  method: 'get',
  path: '/v1/knowledge/{name}/files',
  summary: "A collection's files, exactly as put (audited: `knowledge.read`)",
  security: sec,
  request: {
    params: NameParam,
    query: NamespaceQuery.extend({ version: z.string().regex(/^[0-9a-f]{12}$/, 'must be 12 hex digits').optional().openapi({ description: 'An earlier version, while it is kept (an hour after it was replaced) [the current one]' }) }),
  },
  responses: { 200: json(FilesAnswer, 'The files, in path order (the body `PUT` takes, plus name and version)'), ...problems(400, 401, 403, 404) },
});

const deleteRoute = createRoute({
  method: 'delete',
  path: '/v1/knowledge/{name}',
  middleware: auditAction('knowledge.remove'),
  summary: 'Remove a collection (refused while a serving version lists it, unless force=true: those fail their next load with KNOWLEDGE_MISSING)',
  security: sec,
  request: { params: NameParam, query: NamespaceQuery.extend({ force: z.enum(['true', 'false']).optional() }) },
  responses: { 204: { description: 'Removed' }, ...problems(400, 401, 403, 404, 409) },
});

const view = (i: CollectionInfo) => ({
  name: i.name,
  namespace: i.namespace,
  version: i.version,
  files: i.files,
  bytes: i.bytes,
  documents: i.documents,
  createdAt: new Date(i.createdAt).toISOString(),
  updatedAt: new Date(i.updatedAt).toISOString(),
  updatedBy: i.updatedBy,
});

/** The files a body carries, each as its bytes. @throws ValidationError naming the file that gives neither or both of text and base64 */
function filesOf(body: z.infer<typeof PutBody>): KnowledgeFile[] {
  return body.files.map((f, i) => {
    if ((f.text === undefined) === (f.base64 === undefined)) throw new ValidationError(`files[${i}]`, `${f.path}: give its content as text or as base64, one of them`);
    return { path: f.path, data: f.text !== undefined ? Buffer.from(f.text, 'utf8') : Buffer.from(f.base64!, 'base64') };
  });
}

/** A file as the wire carries it: UTF-8 as text (so it reads as written), anything else as base64. */
const wireFile = (f: KnowledgeFile) => (isUtf8(f.data) ? { path: f.path, text: f.data.toString('utf8') } : { path: f.path, base64: f.data.toString('base64') });

/**
 * Knowledge collections: the documents functions ground their answers on (company policies),
 * put, listed, read back and removed by those who deploy in the namespace. Anyone else gets 403,
 * as for secrets: the caller names the namespace (`?namespace=`), so a denial before any lookup
 * conceals nothing, where a 404 would claim a collection is missing that may exist. Writes are
 * audited by their route's declaration; reading the text back is audited before it is answered,
 * as reading the audit trail is.
 */
export function knowledgeRoutes(deps: KnowledgeRouteDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  /** The 404 of a collection the path names that the namespace lacks. */
  const missing = (namespace: string, name: string) => new KnowledgeMissingError(namespace, [name], { field: 'name', in: 'path' });
  const existing = async (namespace: string, name: string): Promise<CollectionInfo> => (await deps.knowledge.info(namespace, name)) ?? Promise.reject(missing(namespace, name));

  app.openapi(putRoute, async (c) => {
    const { name } = c.req.valid('param');
    const { namespace } = c.req.valid('query');
    authorize(c.var.principal, 'knowledge.write', { namespace });
    c.set('auditDetail', { namespace, detail: { collection: name } });
    const files = filesOf(c.req.valid('json'));
    const existed = (await deps.knowledge.info(namespace, name)) !== undefined;
    const { changed, info } = await deps.knowledge.put(namespace, name, files, c.var.principal.sub);
    c.set('auditDetail', { namespace, detail: { collection: name, version: info.version, changed, files: info.files, bytes: info.bytes } });
    if (!existed) c.header('Location', `/v1/knowledge/${name}?namespace=${namespace}`);
    return c.json({ ...view(info), changed }, existed ? 200 : 201);
  });

  app.openapi(listRoute, async (c) => {
    const { namespace } = c.req.valid('query');
    authorize(c.var.principal, 'knowledge.read', { namespace });
    return c.json({ items: (await deps.knowledge.list(namespace)).map(view) }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const { name } = c.req.valid('param');
    const { namespace } = c.req.valid('query');
    authorize(c.var.principal, 'knowledge.read', { namespace });
    return c.json(view(await existing(namespace, name)), 200);
  });

  app.openapi(filesRoute, async (c) => {
    const started = Date.now();
    const { name } = c.req.valid('param');
    const { namespace, version } = c.req.valid('query');
    authorize(c.var.principal, 'knowledge.read', { namespace });
    await existing(namespace, name);
    const { info, files } = await deps.knowledge.files(namespace, name, version);
    // Recorded before the text leaves: when the log cannot take the record, the read fails.
    if (deps.auditLog) auditRequest(deps.auditLog, c, { action: 'knowledge.read', namespace, started, detail: { collection: name, version: info.version } });
    return c.json({ name, namespace, version: info.version, files: [...files].sort((a, b) => a.path.localeCompare(b.path)).map(wireFile) }, 200);
  });

  app.openapi(deleteRoute, async (c) => {
    const { name } = c.req.valid('param');
    const { namespace, force } = c.req.valid('query');
    authorize(c.var.principal, 'knowledge.write', { namespace });
    c.set('auditDetail', { namespace, detail: { collection: name, force: force === 'true' } });
    const users = deps.usersOf?.(namespace, name) ?? [];
    if (users.length && force !== 'true') throw new KnowledgeInUseError(name, users);
    if (!(await deps.knowledge.remove(namespace, name))) throw missing(namespace, name);
    return c.body(null, 204);
  });
  return app;
}

/** Removing the collection would break the functions that list it. */
export class KnowledgeInUseError extends PlatformError {
  override readonly name = 'KnowledgeInUseError';
  constructor(name: string, users: string[]) {
    super('KNOWLEDGE_IN_USE', `knowledge collection '${name}' is listed by serving versions of ${users.map((u) => `'${u}'`).join(', ')}; deploy them without it first, or remove with force=true (their next load fails)`, { extra: { functions: users } });
  }
}
