import { FunctionError, defineFunction } from 'open-autoglm/sdk';

interface EchoInput {
  message?: string;
  /** Test hook: `retryable` fails every attempt with a retryable error, `fatal` fails at once. */
  fail?: 'retryable' | 'fatal';
  /** Test hook: hold the job this long, to exercise deadlines, cancellation and crashes. */
  sleepMs?: number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

export default defineFunction<EchoInput, { echo: EchoInput }>({
  async handle(inputs, _state, ctx) {
    return Promise.all(
      inputs.map(async (input) => {
        if (input.sleepMs) await sleep(input.sleepMs, ctx.signal);
        if (input.fail === 'fatal') return new FunctionError('echo was asked to fail', { code: 'ECHO_FAILED' });
        if (input.fail === 'retryable')
          return new FunctionError('echo was asked to fail (retryable)', { code: 'ECHO_FAILED', retryable: true });
        return { echo: input };
      }),
    );
  },
});
