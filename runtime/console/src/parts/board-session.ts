/**
 * The session of BullMQ's board (`/console/queues`, bull-board): a page the router renders and a
 * JSON API the board's own script calls, so the bearer token this tab holds cannot reach it. An
 * admin's token buys a short session instead, held in an HttpOnly cookie scoped to the board's path
 * (see runtime/http/routes/queue-board-routes.ts).
 */
import { api } from '../api.ts';

/** Under the cookie's path, so the cookie comes along when the session is ended. */
const SESSION = '/console/queues/session';

/** Opens a board session with this tab's token, then goes to the board. Rejects with the API's refusal. */
export async function openBoard(): Promise<void> {
  await api('POST', SESSION);
  location.assign('/console/queues');
}

/** Ends the board session, if any (on sign-out): the server forgets it and the cookie is cleared. Never rejects. */
export function endBoardSession(): void {
  fetch(SESSION, { method: 'DELETE' }).catch(() => undefined);
}
