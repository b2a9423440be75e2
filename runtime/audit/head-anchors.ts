/**
 * Where each chain's head is anchored outside its files. The files alone cannot show that records
 * were cut from the end, or that a whole chain folder was deleted: whoever can write them can
 * rewrite head.json too. A copy of the head kept elsewhere (Redis, written by the router that
 * writes the chain) can. Production: `AuditHeadStore` from `queue/cluster`.
 */

/** A chain's head as last anchored: the newest record known to be on disk. */
export interface HeadAnchor {
  seq: number;
  hash: string;
  /** The audit key that sealed that record; absent for an unkeyed legacy record (or seq 0). */
  kid?: string;
  /** When it was anchored (ISO 8601). */
  at?: string;
}

/**
 * The anchors of every chain of one audit directory. Writers only move an anchor forward;
 * readers compare it with the files.
 */
export interface HeadAnchors {
  /** The anchor of every chain that has one. */
  all(): Promise<Map<string, HeadAnchor>>;
  /** One chain's anchor, if it has one. */
  get(chain: string): Promise<HeadAnchor | undefined>;
  /**
   * Moves `chain`'s anchor to `head`. Resolves false, changing nothing, when the stored anchor is
   * further along or names another record at the same seq: an anchor never moves back.
   */
  advance(chain: string, head: HeadAnchor): Promise<boolean>;
  /** Sets `chain`'s anchor only if it has none (anchoring a chain written before anchors existed). */
  adopt(chain: string, head: HeadAnchor): Promise<boolean>;
}
