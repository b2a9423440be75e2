export { loadConfig } from './config.ts';
export type { Config, ConfigResult, Role } from './config.ts';
export type { PoolSection } from './pool-section.ts';
export type { RedisSection } from './redis-section.ts';
export { ensureStateDir, persistentSecret, writeStateFile } from './state-dir.ts';
export { newHmacKeySpec, parseHmacKeys, type HmacKeyring } from './hmac-keys.ts';
export { parseCallbackAllow, type CallbackAllow, type CallbackSubnet } from './callback-allow.ts';
