import { describe, expect, it } from 'vitest';
import { QueueFullError } from '../../queue/jobs/index.ts';
import { ValidationError } from './errors.ts';
import { toProblem } from './problem.ts';

describe('toProblem', () => {
  it('keeps code, status and field of platform errors', () => {
    const { problem, known } = toProblem(new ValidationError('input.amount', 'must be a number'));
    expect(known).toBe(true);
    expect(problem).toMatchObject({ status: 400, code: 'INVALID_REQUEST', field: 'input.amount', type: 'urn:autoglm:problem:invalid-request', title: 'Bad Request' });
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
});
