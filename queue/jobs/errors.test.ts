import { describe, expect, it } from 'vitest';
import { JobNotCancellableError, JobNotRetryableError, PoisonInputError } from './errors.ts';

describe('job state errors', () => {
  it('say a job’s status in a sentence that reads', () => {
    expect(new JobNotCancellableError('echo.1', 'running').message).toBe("job 'echo.1' is running; only queued jobs can be cancelled");
    expect(new JobNotCancellableError('echo.1', 'succeeded').message).toBe("job 'echo.1' already succeeded; only queued jobs can be cancelled");
    expect(new JobNotRetryableError('echo.1', { status: 'succeeded' }).message).toBe("job 'echo.1' already succeeded; only failed jobs can be retried");
    expect(new JobNotRetryableError('echo.1', { status: 'queued' })).toMatchObject({ message: "job 'echo.1' is queued; only failed jobs can be retried", extra: { jobStatus: 'queued' } });
  });

  it('say what a poison input brought down, in words that read', () => {
    expect(new PoisonInputError('echo.1', 2, 'sandbox').message).toBe("job 'echo.1' was running when its sandbox died 2 times, the last time alone: its input is taken to crash the sandbox, and it is not retried");
    expect(new PoisonInputError('echo.1', 2).message).toBe("job 'echo.1' was running when its worker died 2 times, the last time alone: its input is taken to crash the worker, and it is not retried");
  });
});
