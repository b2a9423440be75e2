import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, problemText } from '../api.ts';
import { when } from './format.ts';
import { actionsFor, clock, dueIn, isLive, stateText, stepLine, windowRow, type GateCell, type RolloutState, type Step, type Window } from './rollout-format.ts';
import { usePolled } from './use-polled.ts';

/** Read again this often while the rollout can move: a window's verdict shows within seconds. */
const EVERY_MS = 5_000;

/** What the panel reads of `GET /v1/functions/{name}/rollout` (runtime/http/routes/rollout-routes.ts). */
interface Rollout {
  state: RolloutState;
  version: string;
  stable: string;
  step: number;
  weight: number;
  steps: Step[];
  plan: { interval: number; minCalls: number; failureLimit: number };
  nextVerdictAt: string | null;
  failures: number;
  windows: Window[];
  reason: string | null;
  driver: string | null;
  startedAt: string;
  startedBy: string;
}

const notFound = (e: Error | undefined) => e instanceof ApiError && e.code === 'ROLLOUT_NOT_FOUND';
const VERDICT_BADGE = { passed: 'ok', failed: 'failed', waiting: 'warn' } as const;
const BUTTONS = { pause: 'Pause', resume: 'Resume', abort: 'Abort' } as const;

const gateTd = (c: GateCell) => html`<td class=${c.failed ? 'gate-failed' : ''} title=${c.title}>${c.text}</td>`;

/**
 * A function's metric-gated rollout: state, new version against stable, the plan's steps with the
 * one in force, the weight, the reason, the driver, when the next verdict is due, and each window's
 * figures and verdict (failing gates marked). Pause, resume and abort for a token that may
 * (`POST .../rollout/pause|resume|abort`, as `autoglm rollout` does). Read every 5 s while the
 * rollout can move, and again whenever the page sees the traffic change (`trafficAt`: a deploy
 * starting a rollout, a manual change pausing one); never after it ended, nor for a function
 * whose record (`rolledOut`: `GET /v1/functions/{name}`'s `rollout`) says it never rolled out.
 */
export function RolloutPanel({ name, rolledOut, trafficAt, canChange, onChanged }: { name: string; rolledOut: boolean; trafficAt: string | number; canChange: boolean; onChanged(): void }) {
  // The function's record says whether it ever rolled out: a function that never did is not asked (no 404 in the browser's log).
  const r = usePolled<Rollout>(rolledOut ? `/v1/functions/${encodeURIComponent(name)}/rollout` : null, EVERY_MS, (data, error) => (data ? !isLive(data.state) : notFound(error)));
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState('');
  const seen = useRef(trafficAt);
  useEffect(() => {
    if (seen.current === trafficAt) return;
    seen.current = trafficAt;
    r.reload();
  }, [trafficAt]);

  if (!rolledOut || (!r.data && notFound(r.error))) {
    return canChange ? html`<p class="muted rollout-hint">No rollout: deploy with <code>autoglm deploy --rollout</code> to step a new version through traffic, judged against stable.</p>` : null;
  }
  if (!r.data) return r.error ? html`<section class="panel rollout"><h2>Rollout</h2><p class="error" role="alert">${r.error.message}</p></section>` : null;
  const b = r.data;
  const act = async (action: 'pause' | 'resume' | 'abort') => {
    if (action === 'abort' && !confirm(`Abort the rollout of ${b.version}? The traffic from before it returns now.`)) return;
    setBusy(true);
    setProblem('');
    try {
      await api('POST', `/v1/functions/${encodeURIComponent(name)}/rollout/${action}`);
      r.reload();
      onChanged();
    } catch (e) {
      setProblem(problemText(e));
    } finally {
      setBusy(false);
    }
  };
  const rows = b.windows.map((w) => windowRow(w, b.steps)).reverse();
  return html`<section class="panel rollout">
    <h2>Rollout <span class=${`badge ${b.state}`} data-testid="rollout-state">${stateText(b.state)}</span></h2>
    <p><code>${b.version}</code> against stable <code>${b.stable}</code>; the new version takes <span data-testid="rollout-weight">${b.weight}%</span> of the calls.</p>
    <ol class="steps" data-testid="rollout-steps">
      ${stepLine(b.steps, b.step, b.state).map((s) => html`<li class=${s.mark} aria-current=${s.mark === 'current' ? 'step' : undefined}>${s.text}</li>`)}
    </ol>
    ${b.reason && html`<p>Reason: <span data-testid="rollout-reason">${b.reason}</span></p>`}
    <p class="muted">
      Started by ${b.startedBy} at ${when(b.startedAt)}; windows of ${b.plan.interval / 1000} s, at least ${b.plan.minCalls} call${b.plan.minCalls === 1 ? '' : 's'} each; failed ${b.failures} of ${b.plan.failureLimit} allowed.
      ${b.driver && html` Driven by <code data-testid="rollout-driver">${b.driver}</code>.`}
      ${b.nextVerdictAt && html` Next verdict at ${clock(b.nextVerdictAt)} (<span data-testid="rollout-next">${dueIn(b.nextVerdictAt, Date.now())}</span>).`}
    </p>
    ${canChange &&
    actionsFor(b.state).length > 0 &&
    html`<div class="controls">
      ${actionsFor(b.state).map((a) => html`<button type="button" name=${`rollout-${a}`} class=${a === 'abort' ? 'danger' : ''} disabled=${busy} onClick=${() => act(a)}>${BUTTONS[a]}</button>`)}
    </div>`}
    ${problem && html`<p class="error" role="alert">${problem}</p>`}
    ${r.error && html`<p class="error" role="alert">${r.error.message}</p>`}
    ${rows.length === 0
      ? html`<p class="muted">No window judged yet.</p>`
      : html`<table class="windows">
          <thead><tr><th>Window</th><th>Step</th><th>Calls</th><th>Failed</th><th>Success</th><th>p95 new / stable</th><th>Ratio</th><th>Agreement</th><th>Feedback drop</th><th>Verdict</th><th>Reason</th></tr></thead>
          <tbody>
            ${rows.map(
              (w) => html`<tr data-verdict=${w.verdict}>
                <td>${w.span}</td>
                <td>${w.step}</td>
                <td>${w.calls}</td>
                <td>${w.failed}</td>
                ${gateTd(w.success)}
                <td>${w.p95}</td>
                ${gateTd(w.ratio)}
                ${gateTd(w.agreement)}
                ${gateTd(w.feedbackDrop)}
                <td><span class=${`badge ${VERDICT_BADGE[w.verdict]}`}>${w.verdict}</span></td>
                <td class="reason">${w.reason}</td>
              </tr>`,
            )}
          </tbody>
        </table>`}
  </section>`;
}
