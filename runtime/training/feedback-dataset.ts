import type { FeedbackStore } from '../../queue/cluster/index.ts';

/** Records read from the feedback store per page. */
const PAGE = 500;

/**
 * A function's feedback since `sinceMs` as a JSON Lines dataset, oldest first, page by page:
 * one record per judged job or item, `{ input, output, failed, feedback, version, jobId }`, the
 * export's shape less who and when. Records whose input was no longer stored (a large input
 * dropped once its job succeeded) are left out: there is nothing to learn from them.
 */
export async function* feedbackLines(store: Pick<FeedbackStore, 'page'>, fn: string, sinceMs: number): AsyncGenerator<Uint8Array> {
  let after: Parameters<FeedbackStore['page']>[1]['after'];
  for (;;) {
    const page = await store.page(fn, { sinceMs, limit: PAGE, ...(after ? { after } : {}) });
    const lines = page.items
      .filter((r) => r.input !== undefined)
      .map((r) => JSON.stringify({ input: r.input, output: r.output, failed: r.failed, feedback: r.feedback, version: r.version, jobId: r.jobId }) + '\n');
    if (lines.length) yield Buffer.from(lines.join(''), 'utf8');
    if (!page.next) return;
    after = page.next;
  }
}
