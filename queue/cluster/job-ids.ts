import { randomHex } from './random.ts';

// Ids are shared grammar: the transport makes them, and function logs and readers parse them.

/**
 * Job ids carry the function name (`echo.m3x9k2a1b4c5d6e7`) so a job can be found from its id
 * alone without a lookup table. Function names never contain a dot.
 */
export function newJobId(fn: string): string {
  return `${fn}.${Date.now().toString(36)}${randomHex(6)}`;
}

/**
 * Id of item `index` of a job that carries many inputs (a group of synchronous calls, or a bulk
 * job): the job's id and the item's position, so the item is found from its id alone.
 */
export const itemId = (jobId: string, index: number): string => `${jobId}.${index}`;

const JOB_ID = /^([a-z][a-z0-9-]{0,62})\.([a-z0-9]{8,40})(?:\.(\d{1,6}))?$/;

/** Whether `id` has the grammar of a job or item id (`<function>.<random>[.<item>]`), whatever its existence. */
export const isJobId = (id: string): boolean => JOB_ID.test(id);

/** The function named by a job or item id, or undefined when the id is not one of ours. */
export function functionOfJobId(id: string): string | undefined {
  return JOB_ID.exec(id)?.[1];
}

/**
 * When the job was made, from its id (ms since the epoch), or undefined for an id that is not
 * ours. `Date.now()` in base 36 is 8 characters from 1973 to 2059: the id's first 8 after the dot.
 */
export function timeOfJobId(id: string): number | undefined {
  const m = JOB_ID.exec(id);
  const t = m ? parseInt(m[2]!.slice(0, 8), 36) : NaN;
  return Number.isFinite(t) ? t : undefined;
}

/** Whether `id` names one item of a job with many inputs. */
export const isItemId = (id: string): boolean => splitItemId(id) !== undefined;

/** The job an item id belongs to and the item's position; undefined for a plain job id. */
export function splitItemId(id: string): { jobId: string; index: number } | undefined {
  const m = JOB_ID.exec(id);
  return m?.[3] === undefined ? undefined : { jobId: `${m[1]}.${m[2]}`, index: Number(m[3]) };
}
