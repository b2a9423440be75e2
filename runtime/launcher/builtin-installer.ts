import type { Logger } from '../../functions/sdk/index.ts';
import { withTimeout, type BuiltinsClaim, type InstalledBuiltins } from '../../queue/cluster/index.ts';

/** Options of a {@link BuiltinInstaller}; defaults in brackets. */
export interface BuiltinInstallerOptions {
  /** The lock and the record, in Redis. */
  claim: Pick<BuiltinsClaim, 'installed' | 'claim' | 'holder' | 'finish' | 'release' | 'ttlMs'>;
  /** Live pool workers: a deploy's load check needs one, so the holder waits for it. */
  liveWorkers: () => Promise<number>;
  /** Deploys the built-ins through this router's API (`deployBuiltins`). */
  deploy: () => Promise<{ deployed: string[]; refused: { dir: string; problem: string }[] }>;
  /** Why this router's `/readyz` says not ready yet; undefined: nothing of the built-ins holds it. */
  hold: (reason: string | undefined) => void;
  log: Logger;
  /** How often it looks again while it waits [1 s]. */
  everyMs?: number;
}

/** How an installer ended: it deployed them, another router had, or it was closed first. */
export type InstallOutcome = 'deployed' | 'installed-before' | 'closed';

/**
 * Deploys the built-in functions once for a split install (`--role router` and `--role pool` as
 * separate processes on one Redis, as Compose and Kubernetes run it). Every router runs one at
 * start, in the background: the first to take the lock, once a pool worker is live, deploys them
 * and records the install; the others wait for that record; a router starting later finds it and
 * deploys nothing, so functions an operator removed or changed stay as they are.
 *
 * Why a lock in every router rather than a one-shot `--role init`: nothing more to order or
 * re-run in Compose or Kubernetes, and the deploy goes through a router's own API, the path a
 * user's `autoglm deploy` takes. It never holds the router's start: while no worker is live,
 * `/readyz` says so ('no live worker') and this adds why the built-ins wait.
 */
export class BuiltinInstaller {
  private closed = false;
  private wake: (() => void) | undefined;
  private run: Promise<InstallOutcome> | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: BuiltinInstallerOptions) {}

  /** Starts the loop; the promise says how it ended (it never rejects: Redis errors are retried). */
  start(): Promise<InstallOutcome> {
    this.run ??= this.loop();
    return this.run;
  }

  /** Stops looking; gives the lock up if this router holds it (best effort: Redis may be gone). Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      this.wake?.();
      await withTimeout(this.opts.claim.release(), 1000).catch(() => undefined);
    })();
    return this.closing;
  }

  private async loop(): Promise<InstallOutcome> {
    const { claim, log, hold } = this.opts;
    let said = '';
    // Each state is logged once, when it is entered.
    const say = (what: string, fields: Record<string, unknown> = {}) => {
      if (said !== what) log.info(what, fields);
      said = what;
    };
    while (!this.closed) {
      try {
        const before = await claim.installed();
        if (before) {
          hold(undefined);
          log.info('built-in functions already installed; not deploying them', { by: before.by, at: new Date(before.at).toISOString(), deployed: before.deployed });
          return 'installed-before';
        }
        if ((await this.opts.liveWorkers()) === 0) {
          hold('built-in functions not deployed yet: waiting for a live pool worker');
          say('built-in functions: waiting for a live pool worker to deploy them');
        } else if (await claim.claim()) {
          if (this.closed) break;
          hold('deploying the built-in functions');
          log.info('built-in functions: this router deploys them');
          const done = await this.deployHolding();
          hold(undefined);
          log.info('built-in functions deployed by this router', { deployed: done.deployed, refused: done.refused.length });
          return 'deployed';
        } else {
          hold('built-in functions being deployed by another router');
          say('built-in functions: another router is deploying them', { holder: await claim.holder() });
        }
      } catch (err) {
        say('built-in functions: cannot deploy them yet; trying again', { err });
      }
      await this.pause();
    }
    return 'closed';
  }

  /** Deploys while renewing the lock, then records the install; on a failure gives the lock up and throws. */
  private async deployHolding(): Promise<InstalledBuiltins> {
    const { claim, log } = this.opts;
    const renew = setInterval(() => void claim.claim().catch(() => undefined), Math.max(1000, claim.ttlMs / 3));
    try {
      const r = await this.opts.deploy();
      // A refused one is not retried by every router forever: it is recorded, and deployed by hand once fixed.
      for (const f of r.refused) log.error('built-in function not deployed; deploy it with `autoglm deploy` once fixed', f);
      return await claim.finish(r);
    } catch (err) {
      await claim.release().catch(() => undefined);
      throw err;
    } finally {
      clearInterval(renew);
    }
  }

  private pause(): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, this.opts.everyMs ?? 1000);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
}
