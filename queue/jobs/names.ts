/** BullMQ queue name of a function's invocations. Names cannot hold `:`, so a dot separates. */
export const functionQueueName = (fn: string): string => `fn.${fn}`;

/**
 * One check queue per device need (`cpu`, `gpu`, `any`): a candidate that needs a GPU is loaded
 * by a GPU worker, never by the first worker free. Workers that run every namespace consume their
 * kind's queue and `any`'s. A worker whose pool serves only some namespaces takes the checks sent
 * to it by name, on a queue of its own: the router picks one that serves the candidate.
 */
export const checkQueue = (need: 'cpu' | 'gpu' | 'any') => `deploy-checks.${need}`;
export const workerQueue = (workerId: string) => `deploy-checks.w.${workerId}`;

/** Queue of webhook deliveries (consumed by routers: workers never hold the signing key). */
export const CALLBACK_QUEUE = 'callbacks';

/** Training jobs by the device kind they run on: a `gpu` training goes to `train.gpu` only when a GPU worker is rostered. */
export const trainingQueue = (kind: 'cpu' | 'gpu') => `train.${kind}`;

/** Trainings whose new files are stored, for a router to record as a version (workers cannot deploy). */
export const TRAINING_FINISH_QUEUE = 'training-finish';
