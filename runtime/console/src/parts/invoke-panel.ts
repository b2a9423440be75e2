import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api, ApiError, problemText } from '../api.ts';
import { href } from './use-route.ts';

/** Calls the function once with a JSON input (`POST /v1/functions/{name}/invoke`) and shows the answer, for a token that may invoke. */
export function InvokePanel({ name }: { name: string }) {
  const [input, setInput] = useState('{}');
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<{ id: string; version: string; output: unknown } | null>(null);
  const [problem, setProblem] = useState('');
  // A call that ran and failed (or timed out) is a job too: the problem names it, for its trace and Retry.
  const [failedJob, setFailedJob] = useState('');
  const invoke = async (e: Event) => {
    e.preventDefault();
    setProblem('');
    setFailedJob('');
    setAnswer(null);
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch (err) {
      return setProblem(`The input is not JSON: ${(err as Error).message}`);
    }
    setBusy(true);
    try {
      setAnswer(await api('POST', `/v1/functions/${encodeURIComponent(name)}/invoke`, { input: parsed }));
    } catch (err) {
      setProblem(problemText(err));
      const jobId = err instanceof ApiError ? err.problem.jobId : undefined;
      if (typeof jobId === 'string') setFailedJob(jobId);
    } finally {
      setBusy(false);
    }
  };
  return html`<form class="panel invoke" onSubmit=${invoke}>
    <h2>Invoke</h2>
    <label for="invoke-input">Input (JSON)</label>
    <textarea id="invoke-input" rows="3" value=${input} onInput=${(e: Event) => setInput((e.target as HTMLTextAreaElement).value)}></textarea>
    <div class="controls"><button type="submit" disabled=${busy}>Invoke</button></div>
    ${problem && html`<p class="error" role="alert">${problem}</p>`}
    ${failedJob && html`<p>The call was job <a href=${href('jobs', failedJob)} data-testid="invoke-job">${failedJob}</a>.</p>`}
    ${answer &&
    html`<p>Answered by <code>${answer.version}</code> as job <a href=${href('jobs', answer.id)} data-testid="invoke-job">${answer.id}</a>:</p>
      <pre data-testid="invoke-output">${JSON.stringify(answer.output, null, 2)}</pre>`}
  </form>`;
}
