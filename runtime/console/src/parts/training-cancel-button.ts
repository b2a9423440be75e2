import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api, problemText } from '../api.ts';

/**
 * Stops a queued or running training (`POST /v1/trainings/{id}/cancel`, what `autoglm training
 * cancel` calls). Offered to everyone: a token that may not (deploy rights in the namespace) is
 * told so by the API's problem, shown beside the button. `onCancelled` reads the list again.
 */
export function TrainingCancelButton({ id, fn, onCancelled }: { id: string; fn: string; onCancelled(): void }) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState('');
  const cancel = async () => {
    if (!confirm(`Cancel training ${id} of ${fn}? It makes no version.`)) return;
    setBusy(true);
    setProblem('');
    try {
      await api('POST', `/v1/trainings/${encodeURIComponent(id)}/cancel`);
      onCancelled();
    } catch (err) {
      setProblem(problemText(err));
    } finally {
      setBusy(false);
    }
  };
  return html`<button type="button" class="small danger" name="training-cancel" disabled=${busy} onClick=${cancel}>Cancel</button>
    ${problem && html`<p class="error" role="alert">${problem}</p>`}`;
}
