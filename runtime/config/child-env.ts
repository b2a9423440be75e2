/**
 * Variables that are not the platform's configuration but that its child processes (the pool,
 * its workers) need from the environment, passed on as they are: where programs are
 * (`PATH`: nvidia-smi, redis-server), `HOME`, Node's own flags, the GPUs the operator left
 * visible, and OpenTelemetry's `OTEL_*` variables, which the trace exporter of every process
 * reads itself (`installTracing`), so workers export their spans too.
 */
const PASSED_ON = ['PATH', 'HOME', 'NODE_OPTIONS', 'CUDA_VISIBLE_DEVICES'];

/** The part of `env` a child process inherits (see above); unset variables are left out. */
export function childEnvOf(env: Readonly<Record<string, string | undefined>>): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && (PASSED_ON.includes(name) || name.startsWith('OTEL_'))) out[name] = value;
  }
  return Object.freeze(out);
}
