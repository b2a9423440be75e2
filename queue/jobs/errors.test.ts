import { describe, expect, it } from 'vitest';
import { JobNotCancellableError, JobNotRetryableError } from './errors.ts';

describe('job state errors', () => {
  it('say a job’s status in a sentence that reads', () => {
    expect(new JobNotCancellableError('echo.1', 'running').message).toBe("job 'echo.1' is running; only queued jobs can be cancelled");
    expect(new JobNotCancellableError('echo.1', 'succeeded').message).toBe("job 'echo.1' already succeeded; only queued jobs can be cancelled");
    expect(new JobNotRetryableError('echo.1', { status: 'succeeded' }).message).toBe("job 'echo.1' already succeeded; only failed jobs can be retried");
    expect(new JobNotRetryableError('echo.1', { status: 'queued' })).toMatchObject({ message: "job 'echo.1' is queued; only failed jobs can be retried", extra: { jobStatus: 'queued' } });
  });
});
