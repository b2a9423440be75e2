import { api } from '../api.ts';
import { cleanAddress } from './clean-address.ts';

/** The code of a one-time sign-in link (`#/login?code=…`, from `npm start` or `autoglm console`), if the page was opened with one. */
export const linkCode = (): string | null => (/^#\/login\?/.test(location.hash) ? new URLSearchParams(location.hash.slice(location.hash.indexOf('?'))).get('code') : null);

/**
 * Trades the link's code for its token (`POST /v1/console/login`), once. The code leaves the
 * address bar (and the tab's history) before anything else, so it is never left to be copied,
 * bookmarked or sent on.
 * @throws the API's problem (LOGIN_CODE_INVALID, TOO_MANY_LOGIN_ATTEMPTS) as an ApiError.
 */
export async function redeemLink(code: string): Promise<string> {
  cleanAddress();
  return (await api<{ token: string }>('POST', '/v1/console/login', { code })).token;
}
