/**
 * Replaces the address (and this tab's history entry) with the Functions page, dropping whatever
 * sign-in code the query or fragment held: it must not be left to be copied, bookmarked, or sent on.
 */
export function cleanAddress(): void {
  history.replaceState(null, '', `${location.pathname}#/functions`);
  // replaceState fires no hashchange: tell the router (parts/use-route.ts) the page changed.
  dispatchEvent(new HashChangeEvent('hashchange'));
}
