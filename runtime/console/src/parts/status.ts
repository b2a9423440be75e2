import { html } from 'htm/preact';
import type { Loaded } from './use-api.ts';

/** The loading line or the error of a read, or null once there is data. */
export function pending(l: Loaded<unknown>) {
  if (l.error) return html`<p class="error" role="alert">${l.error.message}</p>`;
  if (l.data === undefined) return html`<p class="muted">Loading…</p>`;
  return null;
}
