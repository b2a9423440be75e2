import { html } from 'htm/preact';
import { CallsPanel } from '../parts/calls-panel.ts';
import { DriftPanel } from '../parts/drift-panel.ts';
import { InvokePanel } from '../parts/invoke-panel.ts';
import { LogsPanel } from '../parts/logs-panel.ts';
import { RolloutPanel } from '../parts/rollout-panel.ts';
import { ShadowPanel } from '../parts/shadow-panel.ts';
import { pending } from '../parts/status.ts';
import { TrafficPanel } from '../parts/traffic-panel.ts';
import { TrainingsPanel } from '../parts/trainings-panel.ts';
import { usePolled } from '../parts/use-polled.ts';
import { href } from '../parts/use-route.ts';
import { VersionsPanel } from '../parts/versions-panel.ts';
import { offers, type Claims } from '../session.ts';

/**
 * One function: live charts of its last hour, its traffic (with canary, shadow, promote and
 * rollback for deployers), its rollout (with pause, resume and abort), the shadow report, a way to
 * invoke it, its versions, its trainings (when it has any), drift and logs.
 */
export function FunctionPage({ name, claims }: { name: string; claims: Claims }) {
  // Read again now and then (traffic another user changed, the workers' running figures) and after
  // each change made here; a re-read keeps the page, and its charts, up.
  const fn = usePolled(`/v1/functions/${encodeURIComponent(name)}`, 15_000);
  const shown = fn.data === undefined ? pending(fn) : null;
  if (shown) return html`<section><h1>${name}</h1>${shown}</section>`;
  const f = fn.data;
  const versions: string[] = f.versions.map((v: any) => v.version);
  return html`<section>
    <h1>${f.name} <span class="muted">in ${f.namespace}</span></h1>
    <p>${f.description} · <a href=${`${href('jobs')}?function=${encodeURIComponent(f.name)}`}>its jobs</a></p>
    <${CallsPanel} name=${f.name} />
    <${TrafficPanel} fn=${f} canChange=${offers(claims, 'traffic')} onChanged=${fn.reload} />
    <${RolloutPanel} name=${f.name} rolledOut=${Boolean(f.rollout)} trafficAt=${f.traffic.updatedAt} canChange=${offers(claims, 'rollout')} onChanged=${fn.reload} />
    <${ShadowPanel} key=${f.traffic.shadow?.version ?? ''} name=${f.name} shadowing=${f.traffic.shadow !== null} candidates=${versions.filter((v) => v !== f.stable)} />
    ${offers(claims, 'invoke') && html`<${InvokePanel} name=${f.name} />`}
    <${VersionsPanel} fn=${f} />
    <${TrainingsPanel} fn=${f.name} hideEmpty canStart=${offers(claims, 'train')} />
    ${f.stable && html`<${DriftPanel} name=${f.name} version=${f.stable} />`}
    ${offers(claims, 'logs') && html`<${LogsPanel} name=${f.name} versions=${versions} />`}
  </section>`;
}
