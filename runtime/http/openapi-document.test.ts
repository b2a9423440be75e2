import { describe, expect, it } from 'vitest';
import { TokenVerifier } from '../auth/index.ts';
import { createApp } from './app.ts';
import type { AppDeps } from './app-deps.ts';
import { allPartsDeps } from './app-deps-stub.ts';
import { operationIdOf } from './openapi-operation-id.ts';

const verifier = new TokenVerifier({ secret: 'openapi-document-test-secret-0123456789' });

const deps = allPartsDeps(verifier);

interface Response {
  headers?: Record<string, { $ref?: string }>;
  content?: Record<string, { schema: Record<string, unknown> }>;
}
interface Operation {
  operationId?: string;
  security?: unknown[];
  parameters?: { in: string }[];
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, Response>;
}

const app = createApp(deps);
const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, Operation>>; components: Record<string, Record<string, any>> };
const operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ method, path, op, name: `${method.toUpperCase()} ${path}` })));

/** Each operation whose predicate holds, with the statuses of `statuses` it does not declare. */
const undeclared = (where: (o: (typeof operations)[number]) => boolean, statuses: string[]) =>
  operations.filter(where).flatMap(({ name, op }) => statuses.filter((s) => !op.responses[s]).map((s) => `${name} ${s}`));

describe('the OpenAPI document', () => {
  it('gives every operation an operationId, each a different one', () => {
    const ids = operations.map((o) => o.op.operationId);
    expect(operations.filter((o) => !o.op.operationId).map((o) => o.name)).toEqual([]);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    expect(doc.paths['/v1/functions/{name}/versions']!.get!.operationId).toBe('getFunctionVersions');
    expect(doc.paths['/v1/functions/{name}/invoke']!.post!.operationId).toBe('invokeFunction');
  });

  it('documents every /v1 route the app takes, and nothing it does not', () => {
    const taken = new Set(app.routes.filter((r) => r.method !== 'ALL' && r.path.startsWith('/v1/')).map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`));
    const documented = new Set(operations.filter((o) => o.path.startsWith('/v1/')).map((o) => o.name));
    expect([...taken].filter((r) => !documented.has(r))).toEqual([]);
    expect([...documented].filter((r) => !taken.has(r))).toEqual([]);
    expect(taken.size).toBeGreaterThan(40);
  });

  it('declares 401 with WWW-Authenticate on every operation that needs a token', () => {
    expect(undeclared((o) => (o.op.security?.length ?? 0) > 0, ['401'])).toEqual([]);
    for (const { op, name } of operations.filter((o) => o.op.security?.length)) expect(op.responses['401']!.headers?.['WWW-Authenticate'], name).toBeDefined();
    expect(doc.paths['/readyz']!.get!.responses['401']).toBeDefined();
  });

  it('declares 400, 413 and 415 on every operation that reads a body, and 400 wherever a path parameter is checked', () => {
    const json = undeclared((o) => o.op.requestBody?.content['application/json'] !== undefined, ['400', '413', '415']);
    expect(json).toEqual([]);
    // The body reader runs for every write under /v1, with or without a declared body.
    expect(undeclared((o) => o.path.startsWith('/v1/') && ['post', 'put', 'patch'].includes(o.method), ['400', '413', '415'])).toEqual([]);
    expect(undeclared((o) => o.op.parameters?.some((p) => p.in === 'path') ?? false, ['400'])).toEqual([]);
    expect(doc.paths['/v1/functions/{name}/rollout/pause']!.post!.responses['400']).toBeDefined();
  });

  it('names the headers answers carry: X-Request-Id and X-Router on all, Retry-After on 429 and 503', () => {
    for (const { op, name } of operations) {
      for (const [status, r] of Object.entries(op.responses)) {
        expect(Object.keys(r.headers ?? {}), `${name} ${status}`).toEqual(expect.arrayContaining(['X-Request-Id', 'X-Router', ...(['429', '503'].includes(status) ? ['Retry-After'] : [])]));
      }
    }
    expect(Object.keys(doc.paths['/v1/functions/{name}/jobs']!.post!.responses['202']!.headers!)).toEqual(expect.arrayContaining(['Location', 'X-Job-Id', 'X-Function-Version', 'traceparent', 'Idempotent-Replayed']));
    expect(Object.keys(doc.paths['/v1/functions/{name}/invoke']!.post!.responses['200']!.headers!)).toEqual(expect.arrayContaining(['X-Job-Id', 'X-Function-Version', 'traceparent', 'X-Cache']));
    expect(doc.paths['/v1/jobs/{id}/trace']!.get!.responses['404']!.headers!['Retry-After']).toBeDefined();
    expect(doc.components.responses!.MethodNotAllowed.headers.Allow).toBeDefined();
  });

  it('refers only to components it holds', () => {
    const refs = JSON.stringify(doc).match(/"\$ref":"#\/components\/[^"]+"/g) ?? [];
    const missing = refs.map((r) => r.slice(9, -1).split('/').slice(2)).filter(([kind, name]) => !doc.components[kind!]?.[name!]);
    expect(refs.length).toBeGreaterThan(100);
    expect(missing).toEqual([]);
  });

  it("gives a streamed invoke's 200 as text, not the JSON body", () => {
    const content = doc.paths['/v1/functions/{name}/invoke']!.post!.responses['200']!.content!;
    expect(content['text/event-stream']!.schema).toMatchObject({ type: 'string' });
    expect(content['text/event-stream']!.schema.description).toMatch(/event: result/);
    expect(content['application/json']!.schema).toEqual({ $ref: '#/components/schemas/InvokeResponse' });
  });

  it('requires what the server requires of a call: input; of a job, exactly one of input or inputs', () => {
    expect(doc.components.schemas!.InvokeRequest.required).toEqual(['input']);
    expect(doc.components.schemas!.SubmitRequest.oneOf).toEqual([{ required: ['input'] }, { required: ['inputs'] }]);
  });
});

describe('what the middleware answers before any route', () => {
  // Without an audit log: its middleware would write records the fake cannot take.
  const errors: unknown[] = [];
  const probe = createApp({ ...deps, auditLog: undefined, log: { error: (_: string, f: { err: unknown; path: string }) => errors.push(`${f.path}: ${String(f.err)}`) } } as unknown as AppDeps);
  /** A path of `path` with each parameter given a well-formed value. */
  const concrete = (path: string) => path.replace('{name}', 'echo').replace('{id}', 'echo.m3x9k2a1b4c5').replace('{hash}', 'a'.repeat(64));

  it('is what the document declares: 401 for a token refused (also where one is optional, /readyz), 415 for a body that is not JSON', async () => {
    const surprises: string[] = [];
    for (const { method, path, op, name } of operations.filter((o) => o.op.security?.length)) {
      const r = await probe.request(concrete(path), { method: method.toUpperCase(), headers: { authorization: 'Bearer not-a-token' } });
      if (r.status !== 401 || !op.responses['401']) surprises.push(`${name} answered ${r.status}`);
    }
    const token = await verifier.mint({ sub: 'ann', roles: ['admin'] });
    for (const { method, path, op, name } of operations.filter((o) => o.path.startsWith('/v1/') && ['post', 'put'].includes(o.method))) {
      const r = await probe.request(concrete(path), { method: method.toUpperCase(), headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, body: 'x' });
      if (!op.responses[String(r.status)]) surprises.push(`${name} answered ${r.status}, not declared`);
      if (!op.requestBody?.content['application/x-ndjson'] && !op.requestBody?.content['application/gzip']) expect(r.status, name).toBe(415);
    }
    expect(surprises).toEqual([]);
    expect(errors).toEqual([]);
  });
});

describe('operationIdOf', () => {
  it('names reads by method and path, actions by their verb, and POSTs to a collection as creating one', () => {
    expect(operationIdOf('get', '/v1/functions/{name}/versions')).toBe('getFunctionVersions');
    expect(operationIdOf('get', '/v1/functions')).toBe('getFunctions');
    expect(operationIdOf('delete', '/v1/secrets/{name}')).toBe('deleteSecret');
    expect(operationIdOf('post', '/v1/functions/{name}/rollout/pause')).toBe('pauseFunctionRollout');
    expect(operationIdOf('post', '/v1/jobs/{id}/retry')).toBe('retryJob');
    expect(operationIdOf('post', '/v1/tokens')).toBe('createToken');
    expect(operationIdOf('get', '/v1/webhook-keys')).toBe('getWebhookKeys');
    expect(operationIdOf('get', '/readyz')).toBe('getReadyz');
  });
});
