import { execFileSync } from 'node:child_process';
import { describe, expect, it, vi } from 'vitest';
import type { FunctionLogLine } from '../queue/cluster/index.ts';
import { AutoglmError, FunctionError } from '../functions/sdk/index.ts';
import { functionLogger, masked, maskedError, maskedRecord, runLogged, secretMask } from './function-logger.ts';
import { TS_EXEC_ARGV } from './supervisor.ts';

const base = (fn: string) => ({ fn, version: 'v1', device: 'cpu:0' });

describe('function log lines', () => {
  it('console lines belong to the function whose async context wrote them, also when two interleave; outside, console is untouched', async () => {
    const lines: FunctionLogLine[] = [];
    const quiet = [vi.spyOn(process.stdout, 'write').mockImplementation(() => true), vi.spyOn(process.stderr, 'write').mockImplementation(() => true)];
    try {
      const tick = () => new Promise((r) => setTimeout(r, 5));
      const body = (name: string) => async () => {
        console.log('%s before', name);
        await tick();
        console.error(`${name} after`);
      };
      await Promise.all([runLogged(base('a'), (l) => lines.push(l), body('a')), runLogged(base('b'), (l) => lines.push(l), body('b'))]);
      console.log('platform line');
    } finally {
      for (const q of quiet) q.mockRestore();
    }
    expect(lines.map((l) => [l.fn, l.level, l.msg, l.source])).toEqual(
      expect.arrayContaining([
        ['a', 'info', 'a before', 'console'],
        ['b', 'info', 'b before', 'console'],
        ['a', 'error', 'a after', 'console'],
        ['b', 'error', 'b after', 'console'],
      ]),
    );
    expect(lines).toHaveLength(4);
  });

  it('ctx.log keeps child fields and turns errors and cycles into what JSON can carry', () => {
    const lines: FunctionLogLine[] = [];
    const log = functionLogger({ ...base('a'), batch: 2, jobs: ['a.1', 'a.2'] }, (l) => lines.push(l)).child({ model: 'm1' });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    log.warn('failed', { err: new Error('boom') });
    log.info('odd', { cycle });
    expect(lines[0]).toMatchObject({ level: 'warn', msg: 'failed', source: 'log', batch: 2, jobs: ['a.1', 'a.2'], fields: { model: 'm1', err: { name: 'Error', message: 'boom' } } });
    expect(lines[1]!.fields).toEqual({ unserializable: expect.stringContaining('circular') });
  });

  it('masks secret values in messages and fields, also as JSON escapes them and line by line, but not values too short to tell from text', () => {
    const lines: FunctionLogLine[] = [];
    const pem = '-----BEGIN KEY-----\nMIIEvQIBADANBgkq\n-----END KEY-----';
    const secrets = Object.freeze({ api: 'sk-live-"quoted"', pem, pin: '123' });
    const log = functionLogger(base('f'), masked((l) => lines.push(l), secretMask(secrets)));
    log.info('calling with sk-live-"quoted" now', { headers: { authorization: 'Bearer sk-live-"quoted"' }, list: [pem], pin: '123' });
    log.warn('second line of the key: MIIEvQIBADANBgkq');
    expect(lines[0]!.msg).toBe('calling with *** now');
    expect(lines[0]!.fields).toEqual({ headers: { authorization: 'Bearer ***' }, list: ['***'], pin: '123' });
    expect(lines[1]!.msg).toBe('second line of the key: ***');
    expect(secretMask(Object.freeze({ short: 'abc' }))).toBeUndefined();
  });

  it('masks secret values in error records (code, message, extras) and thrown errors, keeping their kind', () => {
    const mask = secretMask(Object.freeze({ api: 'sk-live-"quoted"' }));
    expect(maskedRecord({ code: 'BAD_sk-live-"quoted"', message: 'refused sk-live-"quoted"', retryable: true, extra: { token: 'sk-live-"quoted"', n: 1 } }, mask)).toEqual({
      code: 'BAD_***',
      message: 'refused ***',
      retryable: true,
      extra: { token: '***', n: 1 },
    });
    const thrown = maskedError(new FunctionError('refused sk-live-"quoted"', { code: 'CRM' }), mask) as AutoglmError;
    expect(thrown).toBeInstanceOf(AutoglmError);
    expect([thrown.code, thrown.message]).toEqual(['CRM', 'refused ***']);
    const plain = maskedError(new TypeError('bad sk-live-"quoted"'), mask) as Error;
    expect(plain).not.toBeInstanceOf(AutoglmError);
    expect(plain.message).toBe('bad ***');
    const rec = { code: 'X', message: 'm', retryable: false };
    expect(maskedRecord(rec, undefined)).toBe(rec);
  });

  it("console lines of code with secrets print masked on the worker's own output too", () => {
    // In a process of its own: here the test runner owns the console.
    const script = `
      import { masked, runLogged, secretMask } from ${JSON.stringify(new URL('./function-logger.ts', import.meta.url).href)};
      const lines = [];
      const mask = secretMask(Object.freeze({ db: 'pg-password-1' }));
      runLogged({ fn: 'f', version: 'v1', device: 'cpu:0' }, masked((l) => lines.push(l.msg), mask), () => console.log('connecting with %s', 'pg-password-1'), mask);
      console.log('emitted: ' + lines.join());`;
    const out = execFileSync(process.execPath, [...TS_EXEC_ARGV, '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(out).toBe('connecting with ***\nemitted: connecting with ***\n');
  });
});
