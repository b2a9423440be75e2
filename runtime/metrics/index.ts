/** Prometheus metrics of the router: what it measures, and one scrape of it all in the text exposition format. */
export { EXPOSITION_CONTENT_TYPE, formatExposition } from './exposition.ts';
export { RouterMetrics } from './router-metrics.ts';
export type { AnsweredRequest, InvocationMode } from './router-metrics.ts';
export { Scraper } from './scraper.ts';
export { CallRecorder } from './call-recorder.ts';
export type { AnsweredCall } from './call-recorder.ts';
export { BatchedWrites, type BatchedWritesOptions } from './batched-writes.ts';
