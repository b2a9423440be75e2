export { loadConfig } from './config.ts';
export type { Config, ConfigResult, Role } from './config.ts';
export { persistentSecret } from './state-dir.ts';
