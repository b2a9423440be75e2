import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import echo from '../../functions/echo/handler.ts';
import { createLogger, parseManifest, type InvocationContext } from '../../functions/sdk/index.ts';

const DIR = fileURLToPath(new URL('../../functions/echo/', import.meta.url));
const ctx: InvocationContext = { function: 'echo', version: 'test', device: 'cpu:0', deadline: Infinity, signal: new AbortController().signal, log: createLogger({}, 'error'), env: {}, secrets: {}, knowledge: {}, emit: () => undefined, wantsChunks: () => false };

describe('echo', () => {
  it('answers each input unchanged as its output’s only field, `echo`, and its manifest says no more than that', async () => {
    const inputs = [{ message: 'hi' }, { message: 'x', extra: [1, { deep: true }] }, {}];
    expect(await echo.handle(inputs, undefined as never, ctx)).toEqual(inputs.map((i) => ({ echo: i })));
    const m = parseManifest(parseYaml(readFileSync(`${DIR}/manifest.yaml`, 'utf8')));
    if (!m.ok) throw new Error(JSON.stringify(m.issues));
    expect(Object.keys((m.manifest.output as { properties: object }).properties)).toEqual(['echo']);
    // The output carries no time: the description must not promise one.
    expect(m.manifest.description).not.toMatch(/\btime\b/i);
    expect(m.manifest.description).toMatch(/^Returns its input unchanged, as the output's `echo` field\./);
  });
});
