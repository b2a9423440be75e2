/** The worker pool: supervisor, function host and configuration. Entry point: `gpu-pool/main.ts`. */
export { Supervisor } from './supervisor.ts';
export type { SlotState, SupervisorOptions } from './supervisor.ts';
export { FunctionHost } from './function-host.ts';
export { loadPoolConfig } from './config.ts';
export type { PoolConfig } from './config.ts';
