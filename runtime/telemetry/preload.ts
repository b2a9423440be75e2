/**
 * `node --import <this file>`: installs tracing in a pool or worker process before its entry
 * runs. The launcher adds it to the pool's Node flags and the pool's workers inherit them, so the
 * pool never imports `runtime/`. The service name follows the entry (`worker-main.ts` →
 * `autoglm-worker`, else `autoglm-pool`) unless `OTEL_SERVICE_NAME` names it.
 */
import { basename } from 'node:path';
import { installTracing } from './tracing.ts';

const entry = basename(process.argv[1] ?? '');
await installTracing({ service: entry.startsWith('worker') ? 'autoglm-worker' : 'autoglm-pool' });
