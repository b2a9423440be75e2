export { loadConfig } from './config.ts';
export type { Config, ConfigResult, Role } from './config.ts';
export type { PoolSection } from './pool-section.ts';
export { persistentSecret } from './state-dir.ts';
