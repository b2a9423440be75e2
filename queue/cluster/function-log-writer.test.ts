import { describe, expect, it } from 'vitest';
import { JOB_RUNS_KEPT, jobRuns, namesJob } from './function-log-writer.ts';

describe("a log line's jobs", () => {
  it('are runs: consecutive items of one job in one entry, other ids as they are', () => {
    const bulk = Array.from({ length: 256 }, (_, i) => `risk.abcdefgh12.${i}`);
    expect(jobRuns(bulk)).toEqual(['risk.abcdefgh12.0-255']);
    expect(jobRuns(['echo.aaaaaaaa01.0', 'echo.aaaaaaaa01.1', 'echo.bbbbbbbb02', 'echo.aaaaaaaa01.3', 'echo.cccccccc03.7', 'echo.cccccccc03.8'])).toEqual([
      'echo.aaaaaaaa01.0-1',
      'echo.bbbbbbbb02',
      'echo.aaaaaaaa01.3',
      'echo.cccccccc03.7-8',
    ]);
    const unrelated = Array.from({ length: 100 }, (_, i) => `echo.job${String(i).padStart(6, '0')}`);
    expect(jobRuns(unrelated)).toEqual(unrelated.slice(0, JOB_RUNS_KEPT));
  });

  it('name a job, an item inside a run, and every item of a job by its id', () => {
    const jobs = ['risk.abcdefgh12.8-15', 'risk.bbbbbbbb02', 'risk.cccccccc03.4'];
    expect(namesJob(jobs, 'risk.abcdefgh12.13')).toBe(true);
    expect(namesJob(jobs, 'risk.abcdefgh12.16')).toBe(false);
    expect(namesJob(jobs, 'risk.abcdefgh12')).toBe(true);
    expect(namesJob(jobs, 'risk.bbbbbbbb02')).toBe(true);
    expect(namesJob(jobs, 'risk.cccccccc03.4')).toBe(true);
    expect(namesJob(jobs, 'risk.cccccccc03')).toBe(true);
    expect(namesJob(jobs, 'risk.cccccccc03.5')).toBe(false);
    expect(namesJob(undefined, 'risk.bbbbbbbb02')).toBe(false);
  });
});
