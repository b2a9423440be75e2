import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { get } from '../api.ts';

/** A chain as `GET /v1/audit/verify` reports it (docs/audit.md). */
interface ChainReport {
  chain: string;
  ok: boolean;
  records: number;
  firstSeq?: number;
  lastSeq?: number;
  segments: number;
  legacy?: { records: number; lastSeq: number };
  headAnchor?: { status: string; seq?: number; behind?: number };
  firstBad?: BadRecord;
}
interface BadRecord {
  chain: string;
  file: string;
  line?: number;
  seq?: number;
  reason: string;
}
interface VerifyReport {
  ok: boolean;
  records: number;
  chains: ChainReport[];
  firstBad?: BadRecord;
}

const where = (b: BadRecord) => `chain ${b.chain}, ${b.file}${b.line !== undefined ? ` line ${b.line}` : ''}${b.seq !== undefined ? `, seq ${b.seq}` : ''}: ${b.reason}`;
const anchor = (a: ChainReport['headAnchor']) => (!a ? '—' : `${a.status}${a.seq !== undefined ? ` at ${a.seq}` : ''}${a.behind ? ` (${a.behind} behind)` : ''}`);

/**
 * "Verify the chain": `GET /v1/audit/verify` on demand (it reads every record of every chain, so
 * never on page load), then whether the log is intact, where it is first broken, and per chain
 * its records, seq range and head anchor in Redis.
 */
export function VerifyPanel() {
  const [state, setState] = useState<{ running?: boolean; report?: VerifyReport; error?: string }>({});
  const run = () => {
    setState({ running: true });
    get<VerifyReport>('/v1/audit/verify').then(
      (report) => setState({ report }),
      (e: Error) => setState({ error: e.message }),
    );
  };
  const r = state.report;
  return html`<div class="panel verify">
    <h2>Chain verification
      <button type="button" class="small" onClick=${run} disabled=${state.running}>${state.running ? 'Verifying…' : 'Verify the chain'}</button></h2>
    ${state.error && html`<p class="error" role="alert">${state.error}</p>`}
    ${r &&
    html`<p data-testid="verify-result">
        <span class=${`badge ${r.ok ? 'ok' : 'failed'}`}>${r.ok ? 'ok' : 'broken'}</span>
        ${' '}${r.records} record(s) in ${r.chains.length} chain(s)${r.firstBad ? html`; first bad record: <strong>${where(r.firstBad)}</strong>` : ''}
      </p>
      <table class="chains">
        <thead><tr><th>Chain</th><th>State</th><th>Records</th><th>Seq</th><th>Segments</th><th>Anchor in Redis</th><th>Unkeyed legacy</th></tr></thead>
        <tbody>${r.chains.map(
          (c) => html`<tr data-chain=${c.chain}>
            <td><code>${c.chain}</code></td>
            <td><span class=${`badge ${c.ok ? 'ok' : 'failed'}`}>${c.ok ? 'ok' : 'broken'}</span>${c.firstBad ? ` ${where(c.firstBad)}` : ''}</td>
            <td>${c.records}</td><td>${c.firstSeq !== undefined ? `${c.firstSeq}–${c.lastSeq}` : '—'}</td><td>${c.segments}</td>
            <td>${anchor(c.headAnchor)}</td><td>${c.legacy ? `${c.legacy.records} up to seq ${c.legacy.lastSeq}` : '—'}</td>
          </tr>`,
        )}</tbody>
      </table>`}
  </div>`;
}
