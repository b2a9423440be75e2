import { html } from 'htm/preact';
import { split } from '../parts/format.ts';
import { pending } from '../parts/status.ts';
import { useApi } from '../parts/use-api.ts';
import { href } from '../parts/use-route.ts';

/** Every function the token may read: name, namespace, stable version and traffic split. */
export function FunctionsPage() {
  const list = useApi<{ items: any[] }>('/v1/functions');
  return html`<section>
    <h1>Functions</h1>
    ${pending(list) ??
    html`<table class="functions">
      <thead><tr><th>Name</th><th>Namespace</th><th>Stable</th><th>Traffic</th><th>Versions</th></tr></thead>
      <tbody>
        ${list.data!.items.map(
          (f) => html`<tr data-function=${f.name}>
            <td><a href=${href('functions', f.name)}>${f.name}</a></td>
            <td>${f.namespace}</td>
            <td><code>${f.stable ?? '—'}</code></td>
            <td>${split(f.traffic.routes)}${f.traffic.shadow ? ` · shadow ${f.traffic.shadow.version} ${f.traffic.shadow.percent}%` : ''}</td>
            <td>${f.versionCount}</td>
          </tr>`,
        )}
      </tbody>
    </table>`}
  </section>`;
}
