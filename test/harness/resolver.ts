import type { LookupAddress } from 'node:dns';
import type { ResolveHost } from '../../runtime/webhooks/index.ts';

/** What a {@link tableResolver} answers for a name: its addresses, or the error resolving it gives. */
export type ResolverTable = Record<string, string[] | NodeJS.ErrnoException>;

/**
 * A resolver of callback host names answering from `table`, read at each call (change the table
 * to change what a name resolves to, as DNS rebinding would); a name it lacks does not exist.
 */
export function tableResolver(table: ResolverTable): ResolveHost {
  return async (host) => {
    const answer = table[host];
    if (answer instanceof Error) throw answer;
    if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return answer.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}
