/** Prometheus metrics of the router: instruments, the text exposition format, and the scrape. */
// Exposition format
export { EXPOSITION_CONTENT_TYPE, escapeLabelValue, formatExposition, formatValue } from './exposition.ts';
export type { Labels, MetricFamily, MetricType, Sample } from './exposition.ts';

// Instruments
export { Counter, DEFAULT_BUCKETS, Histogram, gauge } from './instruments.ts';

// What the router measures, and one scrape of it all
export { RouterMetrics, outcomeOf } from './router-metrics.ts';
export type { AnsweredRequest, InvocationMode } from './router-metrics.ts';
export { queueFamilies, workerFamilies } from './platform-metrics.ts';
export { ProcessMetrics } from './process-metrics.ts';
export { Scraper } from './scraper.ts';
export type { ScraperOptions } from './scraper.ts';
