import type { Logger } from '../../functions/sdk/index.ts';
import type { HeadAnchor, HeadAnchors } from './head-anchors.ts';
import type { SinkTransport } from './sink-transports.ts';

/** What a sink receives per head: one JSON object, the `type` telling it from other lines of a shared log. */
export interface SinkedHead extends HeadAnchor {
  type: typeof HEAD_TYPE;
  chain: string;
}

export const HEAD_TYPE = 'autoglm.audit.head';

const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 30_000;

/**
 * Copies each chain's anchored head to an append-only sink (a syslog server, a SIEM's HTTP
 * intake): a copy of the head that whoever holds the router host and Redis cannot take back.
 * Only the newest head of a chain matters (it vouches for every record before it), so heads
 * waiting for delivery are coalesced per chain, and a sink that is down costs one entry per
 * chain, not a queue. Sending never holds records back: a failed delivery is logged and retried
 * with backoff.
 */
export class HeadSink {
  private readonly waiting = new Map<string, HeadAnchor>();
  private sending: Promise<void> | undefined;
  private retryMs = RETRY_FIRST_MS;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private closed = false;

  constructor(
    private readonly transport: SinkTransport,
    private readonly log: Logger,
  ) {}

  /** Queues `head` for `chain`, replacing an older one still waiting. */
  offer(chain: string, head: HeadAnchor): void {
    if (this.closed) return;
    const cur = this.waiting.get(chain);
    if (cur && cur.seq > head.seq) return;
    this.waiting.set(chain, head);
    if (!this.timer) this.kick();
  }

  /** Sends what waits (giving up after `waitMs`), then closes the transport. */
  async close(waitMs = 2_000): Promise<void> {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.waiting.size > 0) this.kick();
    let t: NodeJS.Timeout | undefined;
    await Promise.race([this.sending, new Promise((r) => (t = setTimeout(r, waitMs)))]);
    clearTimeout(t);
    this.closed = true;
    if (this.waiting.size > 0) this.log.error('audit heads not delivered to the sink before close', { sink: this.transport.where, chains: [...this.waiting.keys()] });
    this.transport.close();
  }

  private kick(): void {
    this.sending ??= this.drain().finally(() => (this.sending = undefined));
  }

  private async drain(): Promise<void> {
    while (this.waiting.size > 0 && !this.closed) {
      const [chain, head] = this.waiting.entries().next().value as [string, HeadAnchor];
      this.waiting.delete(chain);
      const line: SinkedHead = { type: HEAD_TYPE, chain, ...head };
      try {
        await this.transport.send(JSON.stringify(line));
      } catch (err) {
        // Back in line, unless a newer head of the chain came meanwhile.
        if (!this.waiting.has(chain)) this.waiting.set(chain, head);
        if (!this.failing) this.log.error('could not copy an audit head to the sink; retrying with backoff', { err, sink: this.transport.where, chain, seq: head.seq });
        this.failing = true;
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.kick();
        }, this.retryMs);
        this.timer.unref();
        this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
        return;
      }
      if (this.failing) this.log.info('the audit sink accepts heads again', { sink: this.transport.where });
      this.failing = false;
      this.retryMs = RETRY_FIRST_MS;
    }
  }
}

/** `anchors`, with every head they accept copied to `sink` too. */
export function anchorsWithSink(anchors: HeadAnchors, sink: HeadSink): HeadAnchors {
  return {
    all: () => anchors.all(),
    get: (chain) => anchors.get(chain),
    async advance(chain, head) {
      const moved = await anchors.advance(chain, head);
      if (moved) sink.offer(chain, head);
      return moved;
    },
    async adopt(chain, head) {
      const set = await anchors.adopt(chain, head);
      if (set) sink.offer(chain, head);
      return set;
    },
  };
}
