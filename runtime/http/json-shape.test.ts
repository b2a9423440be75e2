import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { jsonBody } from './json-body.ts';
import { checkJsonShape } from './json-shape.ts';
import { problemResponse } from './problem.ts';

const deep = (n: number, leaf = '1') => '{"a":'.repeat(n) + leaf + '}'.repeat(n);

/** The problem `checkJsonShape` throws for `text`, or undefined when it passes. */
function refusal(text: string, maxDepth = 64): { field: string; message: string } | undefined {
  try {
    checkJsonShape(JSON.parse(text), maxDepth);
    return undefined;
  } catch (err) {
    const e = err as { code: string; extra: { field: string }; message: string };
    expect(e.code).toBe('INVALID_REQUEST');
    return { field: e.extra.field, message: e.message };
  }
}

describe('checkJsonShape', () => {
  it('passes ordinary bodies, up to the depth limit, whatever their strings hold', () => {
    expect(refusal('{"input":{"x":[1,-2.5e3,true,false,null,"[[[[{{{{"],"y":"\\"]}"}}')).toBeUndefined();
    expect(refusal(`{"input":${deep(63)}}`)).toBeUndefined(); // the body, then 63 objects: 64 levels
    expect(refusal(`{"s":"${'['.repeat(10_000)}"}`)).toBeUndefined();
    expect(refusal('{"n":1.7976931348623157e308,"m":-5e-400,"k":' + '9'.repeat(250) + '}')).toBeUndefined();
  });

  it('refuses a body nested past the limit, naming the field (elided when long)', () => {
    expect(refusal(`{"input":${deep(64)}}`)).toEqual({ field: 'input.a.a.a.a.a.a.a…', message: 'input.a.a.a.a.a.a.a…: is nested deeper than 64 levels' });
    expect(refusal(`{"input":{"context":${deep(100_000)}}}`)?.field).toBe('input.context.a.a.a.a.a.a…');
    expect(refusal('{"inputs":[1,[[[[]]]]]}', 4)?.field).toBe('inputs[1][0][0]');
    expect(refusal('{"input":{"ok":1,"b":[[[]]]}}', 3)?.field).toBe('input.b[0]');
  });

  it('refuses a number that overflows to Infinity, naming it', () => {
    expect(refusal('{"input":{"amount":1e400}}')?.field).toBe('input.amount');
    expect(refusal('{"input":{"xs":[1,-1E+999]}}')?.field).toBe('input.xs[1]');
    expect(refusal(`{"input":${'1'.repeat(400)}}`)).toEqual({ field: 'input', message: 'input: is a number too large to represent (it overflows to Infinity)' });
  });
});

describe('jsonBody', () => {
  const app = new Hono();
  app.onError((err, c) => problemResponse(c, err));
  app.use('*', jsonBody(1 << 20, 64));
  app.post('/', (c) => c.json({ ok: true }));
  const post = (body: string, headers: Record<string, string> = {}) => app.request('/', { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

  it('answers 400 problem+json naming the field for a 100,000-deep value and for 1e400, before any route runs', async () => {
    for (const [body, field] of [
      [`{"input":{"context":${deep(100_000)}}}`, 'input.context.a.a.a.a.a.a…'],
      ['{"input":{"n":1e400}}', 'input.n'],
    ] as const) {
      const res = await post(body, { 'idempotency-key': 'k1' });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(await res.json()).toMatchObject({ status: 400, code: 'INVALID_REQUEST', field, in: 'body' });
    }
    expect((await post(`{"input":${deep(10)}}`)).status).toBe(200);
  });
});
