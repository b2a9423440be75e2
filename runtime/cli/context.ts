import { ApiClient } from '../client/api-client.ts';
import { resolveTarget, type CliEnv } from './cli-config.ts';
import { createOutput, type Output } from './output.ts';

/** What every command gets: an API client (lazily: `init` and `build` need none) and output. */
export interface CliContext {
  env: CliEnv;
  api(): ApiClient;
  out: Output;
}

export function createContext(env: CliEnv, json: boolean): CliContext {
  let client: ApiClient | undefined;
  return {
    env,
    api: () => (client ??= new ApiClient(resolveTarget(env))),
    out: createOutput(json),
  };
}
