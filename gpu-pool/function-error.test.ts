import { describe, expect, it } from 'vitest';
import { AutoglmError, FunctionError, InvalidInputError } from '../functions/sdk/index.ts';
import { fromFunctionSide, functionErrorRecord } from './function-error.ts';

describe('functionErrorRecord', () => {
  it("keeps a function's own codes and the codes meant for it, extras under details", () => {
    expect(functionErrorRecord(new FunctionError('crm down', { code: 'CRM_DOWN', retryable: true }))).toEqual({ code: 'CRM_DOWN', message: 'crm down', retryable: true });
    expect(functionErrorRecord(new InvalidInputError('input.text', 'too long'))).toEqual({ code: 'INVALID_INPUT', message: 'too long', retryable: false, extra: { field: 'input.text', in: 'body' } });
    // A field named from the function's input, as risk-scoring names its own, is named from the request's root.
    expect(functionErrorRecord(new InvalidInputError('transactions[0].amount', 'must be positive')).extra).toEqual({ field: 'input.transactions[0].amount', in: 'body' });
    expect(functionErrorRecord(new AutoglmError('BAD_ITEM', 'no', { extra: { item: 4 } }))).toEqual({ code: 'BAD_ITEM', message: 'no', retryable: false, extra: { details: { item: 4 } } });
    expect(functionErrorRecord(new TypeError('x is undefined'))).toEqual({ code: 'FUNCTION_ERROR', message: 'x is undefined', retryable: true });
  });

  it('turns a platform code, or one not shaped as a code, into FUNCTION_ERROR, keeping what was asked under details', () => {
    expect(functionErrorRecord(new FunctionError('who are you', { code: 'UNAUTHORIZED' }))).toEqual({ code: 'FUNCTION_ERROR', message: 'who are you', retryable: false, extra: { details: { code: 'UNAUTHORIZED' } } });
    expect(functionErrorRecord(new AutoglmError('WORKER_LOST', 'fake', { retryable: true })).code).toBe('FUNCTION_ERROR');
    expect(functionErrorRecord(new AutoglmError('x\ny', 'odd')).extra).toEqual({ details: { code: 'x\ny' } });
  });

  it('leaves no extra at the top where the router would read it: status, type, instance, location', () => {
    const rec = functionErrorRecord(new AutoglmError('MOVED', 'go', { extra: { status: 302, location: 'https://evil.example/', type: 'urn:x', instance: 'urn:y', field: 'f' } }));
    expect(rec.extra).toEqual({ details: { status: 302, location: 'https://evil.example/', type: 'urn:x', instance: 'urn:y', field: 'f' } });
  });
});

describe('fromFunctionSide', () => {
  it("passes the host's own errors and laundered function errors unchanged", () => {
    const secret = { code: 'SECRET_NOT_FOUND', message: 'no secret', retryable: false, extra: { field: 'secrets', secrets: ['k'] } };
    expect(fromFunctionSide(secret)).toEqual(secret);
    for (const err of [new FunctionError('who', { code: 'UNAUTHORIZED' }), new InvalidInputError('input.x', 'bad'), new AutoglmError('MOVED', 'go', { extra: { status: 302 } })]) {
      const rec = functionErrorRecord(err);
      expect(fromFunctionSide(rec)).toEqual(rec);
    }
  });

  it('checks a record written straight onto the channel: no platform code, extras under details', () => {
    expect(fromFunctionSide({ code: 'UNAUTHORIZED', message: 'log in', retryable: false, extra: { status: 302, location: 'https://evil.example/' } })).toEqual({
      code: 'FUNCTION_ERROR',
      message: 'log in',
      retryable: false,
      extra: { details: { status: 302, location: 'https://evil.example/', code: 'UNAUTHORIZED' } },
    });
    expect(fromFunctionSide({ code: 'RATE_LIMITED', message: 'x', retryable: true }).code).toBe('FUNCTION_ERROR');
  });
});
