import { describe, expect, it } from 'vitest';
import { ApiError } from '../client/api-client.ts';
import { CliError, EXIT, describeError } from './cli-error.ts';

describe('describeError', () => {
  it('says --force where a removal refused while in use tells the API’s force=true, and leaves the problem as the API sent it', () => {
    const refusals = [
      ['SECRET_IN_USE', "secret 'k' is listed by serving versions of 'signer'; deploy them without it first, or remove with force=true (their next load fails)"],
      ['KNOWLEDGE_IN_USE', "knowledge collection 'faq' is listed by serving versions of 'grounded'; deploy them without it first, or remove with force=true (their next load fails)"],
      ['FUNCTION_BUSY', "function 'echo' still has 2 queued and 0 running jobs; wait for them or remove with force=true (queued jobs are cancelled)"],
    ] as const;
    for (const [code, detail] of refusals) {
      const err = new ApiError(409, code, detail, { code, detail });
      const { line, code: exit } = describeError(err);
      expect(exit).toBe(EXIT.server);
      expect(line).toContain('remove with --force (');
      expect(line).not.toContain('force=true');
      expect(line).toMatch(new RegExp(`\\(${code}, HTTP 409\\)$`));
      expect(err.problem?.detail).toBe(detail);
    }
  });

  it('leaves other problems’ wording alone, and names the field a refusal names', () => {
    expect(describeError(new ApiError(400, 'INVALID_REQUEST', 'force=true is not a number', { field: 'limit' })).line).toBe('force=true is not a number [limit] (INVALID_REQUEST, HTTP 400)');
    expect(describeError(new ApiError(0, 'UNREACHABLE', 'cannot reach http://x: ECONNREFUSED'))).toEqual({ line: 'cannot reach http://x: ECONNREFUSED', code: EXIT.unreachable });
    expect(describeError(new CliError('bad flag', EXIT.usage))).toEqual({ line: 'bad flag', code: EXIT.usage });
  });

  it('hints at AUTOGLM_TOKEN or `autoglm login` when the refused call carried no token, and at AUTOGLM_URL when the default URL refused the connection', () => {
    const unauthorized = new ApiError(401, 'UNAUTHORIZED', 'a bearer token is required');
    expect(describeError(unauthorized, { url: 'http://x:8080', token: undefined }).line).toBe('a bearer token is required (UNAUTHORIZED, HTTP 401); no token was sent: set AUTOGLM_TOKEN, or run `autoglm login --url http://x:8080 --token <token>`');
    // A token was sent and refused: the server's words say why.
    expect(describeError(unauthorized, { url: 'http://x:8080', token: 't' }).line).toBe('a bearer token is required (UNAUTHORIZED, HTTP 401)');
    const refused = new ApiError(0, 'UNREACHABLE', 'cannot reach http://127.0.0.1:8080: ECONNREFUSED');
    expect(describeError(refused, { url: 'http://127.0.0.1:8080', token: 't', defaultUrl: true })).toEqual({
      line: 'cannot reach http://127.0.0.1:8080: ECONNREFUSED; http://127.0.0.1:8080 is the default: set AUTOGLM_URL, or run `autoglm login --url <url> --token <token>`',
      code: EXIT.unreachable,
    });
    // A URL the user chose is reported as it is.
    expect(describeError(refused, { url: 'http://127.0.0.1:8080', token: 't' }).line).toBe('cannot reach http://127.0.0.1:8080: ECONNREFUSED');
  });
});
