import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../runtime/client/api-client.ts';
import { buildBundle } from '../../runtime/bundles/build-bundle.ts';
import { startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

// Issue 20: a deployer's `pattern` runs in the router on every call; `^(a+)+$` froze it for 2.7 s
// on 27 characters with JavaScript's RegExp. Patterns now run on RE2, and deploy refuses the
// ones RE2 cannot run.
const ECHO = fileURLToPath(new URL('../../functions/echo/', import.meta.url));

let redis: TestRedis;
let p: TestPlatform;
let work: string;
beforeAll(async () => {
  redis = await startTestRedis();
  p = await startPlatform(redis.url, { env: { AUTOGLM_LOAD_CHECK_TIMEOUT: '20s' } });
  work = mkdtempSync(join(tmpdir(), 'autoglm-patterns-'));
});
afterAll(async () => {
  await p?.stop();
  await redis?.destroy();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Builds the echo handler as `name`, its manifest's schemas being `schemas` (YAML). */
async function echoWith(name: string, schemas: string) {
  const dir = join(work, name);
  cpSync(ECHO, dir, { recursive: true });
  writeFileSync(join(dir, 'manifest.yaml'), `name: ${name}\nentry: handler.ts\nisolation: inline\n${schemas}`);
  return buildBundle(dir, { typecheck: false });
}

async function refused(name: string, extra: string): Promise<ApiError> {
  const b = await echoWith(name, extra);
  try {
    await p.api.deploy(b.archive, b.hash);
  } catch (err) {
    return err as ApiError;
  }
  throw new Error('the bundle was accepted');
}

describe('schema patterns at deploy and on every call', () => {
  it('a deploy with ^(a+)+$, then 10,000 "a"s and a "!": 400 naming the field, and the router answers the next call', async () => {
    const b = await echoWith('redos', 'input:\n  type: object\n  properties:\n    name: { type: string, pattern: "^(a+)+$" }\n');
    expect((await p.api.deploy(b.archive, b.hash)).status).toBe(201);
    const bad = await p.call('POST', '/v1/functions/redos/invoke', { input: { name: `${'a'.repeat(10_000)}!` } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(bad.json).toMatchObject({ code: 'INVALID_REQUEST', field: 'input.name' });
    const good = await p.call('POST', '/v1/functions/redos/invoke', { input: { name: 'a'.repeat(10_000) } });
    expect(good.status).toBe(200);
    expect(good.json.output.echo.name).toHaveLength(10_000);
  });

  it('a backreference is refused at deploy, naming the pattern\'s field (RE2 is the engine: JavaScript would compile it)', async () => {
    const e = await refused('backref', 'input:\n  type: object\n  properties:\n    name: { type: string, pattern: "^(a)\\\\1$" }\n');
    expect(e.status).toBe(400);
    expect(e.code).toBe('INVALID_BUNDLE');
    expect(e.problem).toMatchObject({ field: 'input.properties.name.pattern', in: 'body', errors: [{ field: 'input.properties.name.pattern' }] });
    expect(e.message).toMatch(/manifest\.yaml: input\.properties\.name\.pattern: .*linear time/);
    expect((await p.call('GET', '/v1/functions/backref')).status).toBe(404);
  });

  it('a lookahead in a nested schema and one in the output schema are both named', async () => {
    const e = await refused('lookahead', 'input:\n  type: array\n  items: { type: string, pattern: "^(?=x)" }\noutput:\n  patternProperties:\n    "(?!y)": {}\n');
    expect(e.problem?.errors).toEqual([
      { field: 'input.items.pattern', message: expect.stringContaining('RE2 syntax') },
      { field: 'output.patternProperties.(?!y)', message: expect.stringContaining('RE2 syntax') },
    ]);
    expect((await p.call('GET', '/v1/functions/lookahead')).status).toBe(404);
  });
});
