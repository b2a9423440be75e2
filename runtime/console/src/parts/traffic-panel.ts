import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api, problemText } from '../api.ts';
import { split, when } from './format.ts';

/** What the form holds: the version acted on, a canary's weight and a shadow's share. */
interface Choice {
  version: string;
  canary: number;
  shadow: number;
}

/**
 * Why a percent typed in the `box` box cannot be sent, or '' when it can: the API takes whole
 * numbers only, and its refusal would name a field the user never saw (`routes[1].weight`, the
 * stable version's share of a canary). A canary leaves stable at least 1%; a shadow copies 1–100%.
 */
export function percentProblem(box: 'canary' | 'shadow', value: number): string {
  const [min, max] = box === 'canary' ? [1, 99] : [1, 100];
  return Number.isInteger(value) && value >= min && value <= max ? '' : `The ${box} percent must be a whole number from ${min} to ${max}.`;
}

/**
 * A function's traffic table and, for a token that may deploy, its controls, each a call of the
 * API the CLI uses: a canary (`PUT .../traffic` with the stable version and the chosen one),
 * a shadow started or stopped (`PUT .../traffic` with `shadow`), promote and rollback
 * (`POST .../promote|rollback`). A refusal shows the problem's code and detail.
 */
export function TrafficPanel({ fn, canChange, onChanged }: { fn: any; canChange: boolean; onChanged(): void }) {
  const t = fn.traffic;
  const others: string[] = fn.versions.map((v: any) => v.version).filter((v: string) => v !== t.stable);
  const [choice, setChoice] = useState<Choice>({ version: others[0] ?? '', canary: 10, shadow: 100 });
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState('');
  const path = (p: string) => `/v1/functions/${encodeURIComponent(fn.name)}/${p}`;
  const act = async (method: string, p: string, body?: unknown) => {
    setBusy(true);
    setProblem('');
    try {
      await api(method, path(p), body);
      onChanged();
    } catch (e) {
      setProblem(problemText(e));
    } finally {
      setBusy(false);
    }
  };
  const version = others.includes(choice.version) ? choice.version : (others[0] ?? '');
  const setCanary = () => {
    const bad = percentProblem('canary', choice.canary);
    if (bad) return setProblem(bad);
    // The weights must sum to 100 (the API says so too); a canary leaves the stable version the rest.
    void act('PUT', 'traffic', { routes: [{ version: t.stable, weight: 100 - choice.canary }, { version, weight: choice.canary }] });
  };
  const startShadow = () => {
    const bad = percentProblem('shadow', choice.shadow);
    if (bad) return setProblem(bad);
    void act('PUT', 'traffic', { shadow: { version, percent: choice.shadow } });
  };
  const number = (k: 'canary' | 'shadow') => (e: Event) => setChoice({ ...choice, [k]: Number((e.target as HTMLInputElement).value) });
  const canary = t.routes.length > 1 || t.shadow !== null;
  return html`<section class="panel traffic">
    <h2>Traffic</h2>
    <p>Stable <code>${t.stable ?? '—'}</code>; serving <span data-testid="split">${split(t.routes)}</span>${t.shadow ? html`; shadow <code data-testid="shadow">${t.shadow.version} ${t.shadow.percent}%</code>` : ''}.</p>
    <p class="muted">Changed ${when(t.updatedAt)} by ${t.updatedBy}.</p>
    ${canChange &&
    html`<div class="controls">
        <button type="button" class="danger" disabled=${busy || (!canary && t.history.length === 0)} onClick=${() => act('POST', 'rollback')}>
          ${t.routes.length > 1 ? 'Roll back the canary' : t.shadow ? 'Roll back (drop the shadow)' : 'Roll back to the previous stable'}
        </button>
        ${t.shadow && html`<button type="button" disabled=${busy} onClick=${() => act('PUT', 'traffic', { shadow: null })}>Stop the shadow</button>`}
      </div>
      ${others.length > 0 &&
      html`<form class="controls traffic-form" onSubmit=${(e: Event) => e.preventDefault()}>
        <label>Version <select name="version" value=${version} onChange=${(e: Event) => setChoice({ ...choice, version: (e.target as HTMLSelectElement).value })}>
          ${others.map((v) => html`<option value=${v}>${v}</option>`)}
        </select></label>
        <span class="group">
          <input type="number" name="canary" min="1" max="99" step="1" value=${choice.canary} onInput=${number('canary')} aria-label="canary percent" />%
          <button type="button" name="set-canary" disabled=${busy || !t.stable} onClick=${setCanary}>Set canary</button>
        </span>
        <span class="group">
          <input type="number" name="shadow" min="1" max="100" step="1" value=${choice.shadow} onInput=${number('shadow')} aria-label="shadow percent" />%
          <button type="button" name="start-shadow" disabled=${busy} onClick=${startShadow}>Shadow</button>
        </span>
        <button type="button" name="promote" disabled=${busy} onClick=${() => act('POST', 'promote', { version })}>Promote</button>
      </form>`}`}
    ${problem && html`<p class="error" role="alert">${problem}</p>`}
  </section>`;
}
