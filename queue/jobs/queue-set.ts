import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { functionQueueName } from './names.ts';

/** One BullMQ `Queue` per function, created on first use and sharing one connection. */
export class QueueSet {
  private readonly queues = new Map<string, Queue>();

  constructor(
    /** The connection every queue here uses (BullMQ shares an instance it is given). */
    readonly connection: Redis,
    private readonly prefix: string,
  ) {}

  /** The queue of function `fn`. */
  get(fn: string): Queue {
    return this.named(functionQueueName(fn));
  }

  /** A queue by its raw BullMQ name (e.g. the callback queue). */
  named(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection, prefix: this.prefix });
      // Errors surface on the calls that hit them; the emitter must not crash the process.
      q.on('error', () => undefined);
      this.queues.set(name, q);
    }
    return q;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}
