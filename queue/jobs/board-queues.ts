import type { BaseAdapter } from '@bull-board/api/baseAdapter';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { CALLBACK_QUEUE, functionQueueName } from './names.ts';
import type { QueueSet } from './queue-set.ts';

/** A queue as BullMQ's board (bull-board) shows it. */
export type BoardQueue = BaseAdapter;

/**
 * The queues BullMQ's board shows: every function's queue and the webhook deliveries', each
 * read-only (`readOnlyMode`: no retry, clean, promote, remove, pause or add from the board; the
 * platform's own API does those, checked and audited). Here, beside the queues, so the knowledge
 * of BullMQ stays in `queue/jobs/`; the router only mounts the board.
 */
export class BoardQueues {
  private readonly adapters = new Map<string, BoardQueue>();
  private shown = '';

  constructor(private readonly queues: Pick<QueueSet, 'named'>) {}

  /**
   * The board's queues for these function names (the catalogue's: a new deployment's queue
   * appears, a removed function's goes), or undefined when they are the ones given last time.
   */
  sync(functionNames: Iterable<string>): BoardQueue[] | undefined {
    const names = [CALLBACK_QUEUE, ...[...functionNames].map(functionQueueName).sort()];
    const key = names.join('\n');
    if (key === this.shown) return undefined;
    this.shown = key;
    return names.map((name) => {
      let a = this.adapters.get(name);
      if (!a) this.adapters.set(name, (a = new BullMQAdapter(this.queues.named(name), { readOnlyMode: true })));
      return a;
    });
  }
}
