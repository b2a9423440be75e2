import { STATUS_CODES } from 'node:http';
import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import { FunctionError, InvalidInputError, fromErrorRecord } from '../../functions/sdk/index.ts';
import { QueueFullError } from '../../queue/jobs/index.ts';
import { PlatformError } from '../../queue/platform-error.ts';
import { PROBLEM_CODES } from '../../queue/problem-codes.ts';
import { ValidationError } from './errors.ts';
import { toProblem } from './problem.ts';
import { problems } from './schemas.ts';

describe('toProblem', () => {
  it('keeps code, status and field of platform errors', () => {
    const { problem, known } = toProblem(new ValidationError('input.amount', 'must be a number'));
    expect(known).toBe(true);
    expect(problem).toMatchObject({ status: 400, code: 'INVALID_REQUEST', field: 'input.amount', type: 'urn:autoglm:problem:invalid-request', title: 'Bad Request' });
  });

  it("titles every code of the catalogue with its status's reason phrase (RFC 9110's names), never a bare 'Error'", () => {
    const rfc9110: Record<number, string> = { 413: 'Content Too Large', 422: 'Unprocessable Content' };
    for (const code of Object.keys(PROBLEM_CODES) as (keyof typeof PROBLEM_CODES)[]) {
      const { problem } = toProblem(new PlatformError(code, 'x'));
      expect(problem.title, code).toBe(rfc9110[problem.status] ?? STATUS_CODES[problem.status]);
    }
    expect(toProblem(new PlatformError('JOB_EXPIRED', 'too late')).problem).toMatchObject({ status: 410, title: 'Gone' });
  });

  it('maps queue errors to their status', () => {
    expect(toProblem(new QueueFullError('echo', 10)).problem.status).toBe(503);
  });

  it('turns unknown errors into a generic 500 that leaks nothing', () => {
    const { problem, known } = toProblem(new Error('password=hunter2 at db.ts:12'));
    expect(known).toBe(false);
    expect(problem.status).toBe(500);
    expect(JSON.stringify(problem)).not.toContain('hunter2');
  });

  it('answers errors from function code with the status the catalogue gives their code', () => {
    expect(toProblem(new InvalidInputError('input.text', 'must contain a word')).problem).toMatchObject({ status: 400, code: 'INVALID_INPUT', field: 'input.text', title: 'Bad Request' });
    expect(toProblem(new FunctionError('echo was asked to fail', { code: 'ECHO_FAILED' })).problem).toMatchObject({ status: 500, code: 'ECHO_FAILED' });
    expect(toProblem(fromErrorRecord({ code: 'FUNCTION_NOT_FOUND', message: "function 'x' is not deployed", retryable: false })).problem.status).toBe(404);
  });
});

describe('toProblem, extras', () => {
  it("never let an error's extras set the problem's own members", () => {
    const err = fromErrorRecord({ code: 'MOVED', message: 'go', retryable: false, extra: { status: 302, type: 'about:blank', title: 'Found', detail: 'x', code: 'UNAUTHORIZED', instance: 'urn:y', traceId: 't', location: 'https://evil.example/' } });
    expect(toProblem(err).problem).toEqual({ type: 'urn:autoglm:problem:moved', title: 'Internal Server Error', status: 500, detail: 'go', code: 'MOVED', location: 'https://evil.example/' });
  });
});

describe('the OpenAPI problem schema', () => {
  it("lists the catalogue's codes as an enum of `code`", () => {
    const app = new OpenAPIHono();
    app.openapi(createRoute({ method: 'get', path: '/x', responses: { 200: { description: 'ok' }, ...problems(404) } }), (c) => c.json({}, 200));
    const doc = app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '1' } }) as any;
    const code = doc.components.schemas.ProblemCode ?? doc.components.schemas.Problem.properties.code;
    const listed = code.anyOf.find((s: { enum?: string[] }) => s.enum)?.enum;
    expect(listed).toEqual(Object.keys(PROBLEM_CODES));
  });
});
