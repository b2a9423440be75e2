import { html } from 'htm/preact';
import { pending } from './status.ts';
import { useApi } from './use-api.ts';
import { when } from './format.ts';

/** A function's newest log lines (`GET /v1/functions/{name}/logs`), for a token that may read them. */
export function LogsPanel({ name }: { name: string }) {
  const logs = useApi<{ lines: any[] }>(`/v1/functions/${encodeURIComponent(name)}/logs?limit=50`);
  return html`<section class="panel logs">
    <h2>Recent logs <button type="button" class="small" onClick=${logs.reload}>Refresh</button></h2>
    ${pending(logs) ??
    (logs.data!.lines.length === 0
      ? html`<p class="muted">No lines yet.</p>`
      : html`<pre>${logs.data!.lines.map((l) => `${when(l.t)} ${l.level.padEnd(5)} ${l.version} ${l.msg}\n`)}</pre>`)}
  </section>`;
}
