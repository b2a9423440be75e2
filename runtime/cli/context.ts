import { ApiClient } from '../client/api-client.ts';
import { resolveTarget, type CliEnv, type Target } from './cli-config.ts';
import { createOutput, type Output } from './output.ts';

/** What every command gets: an API client (lazily: `init` and `build` need none) and output. */
export interface CliContext {
  env: CliEnv;
  api(): ApiClient;
  /** Where and as whom {@link api} calls, once it has been made: an error's hint depends on it. */
  target?(): Target | undefined;
  out: Output;
}

export function createContext(env: CliEnv, json: boolean): CliContext {
  let client: ApiClient | undefined;
  let target: Target | undefined;
  return {
    env,
    api: () => (client ??= new ApiClient((target = resolveTarget(env)))),
    target: () => target,
    out: createOutput(json),
  };
}
