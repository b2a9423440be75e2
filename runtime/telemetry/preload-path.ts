import { fileURLToPath } from 'node:url';

/**
 * Path of the tracing preload, for `node --import`: how the launcher gives pool and worker
 * processes the same tracing as the router without the pool importing `runtime/`.
 */
// Written from the repository root: the router's esbuild output also sits two folders below it.
export const TELEMETRY_PRELOAD = fileURLToPath(new URL('../../runtime/telemetry/preload.ts', import.meta.url));
