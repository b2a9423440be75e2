import { describe, expect, it } from 'vitest';
import { CliError, EXIT } from '../cli-error.ts';
import { trafficBody } from './traffic-commands.ts';

/** The usage error `trafficBody` throws for these arguments. */
function refusal(splits: string[], shadow?: string): string {
  try {
    trafficBody(splits, shadow);
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(EXIT.usage);
    return (err as Error).message;
  }
  throw new Error('not refused');
}

describe('autoglm traffic', () => {
  it('reads <version>=<weight> pairs and --shadow <version>=<percent>', () => {
    expect(trafficBody(['a1b2c3d4e5f6=90', '0f9e8d7c6b5a=10'], '778899aabbcc=5')).toEqual({
      routes: [{ version: 'a1b2c3d4e5f6', weight: 90 }, { version: '0f9e8d7c6b5a', weight: 10 }],
      shadow: { version: '778899aabbcc', percent: 5 },
    });
    expect(trafficBody([], false)).toEqual({ shadow: null });
  });

  it('says which part of a pair is wrong', () => {
    expect(refusal(['nonsense'])).toBe('"nonsense": expected <version>=<weight>, e.g. a1b2c3d4e5f6=90');
    expect(refusal(['nope=100'])).toBe('"nope=100": a version is 12 lowercase hex digits, as `autoglm functions versions` lists them, not "nope"');
    expect(refusal(['A1B2C3D4E5F6=100'])).toContain('not "A1B2C3D4E5F6"');
    expect(refusal(['a1b2c3d4e5f6=most'])).toBe('"a1b2c3d4e5f6=most": the weight is a whole number (0 to 100), not "most"');
    expect(refusal([], 'nope=5')).toBe('--shadow nope=5: a version is 12 lowercase hex digits, as `autoglm functions versions` lists them, not "nope"');
    expect(refusal([], 'a1b2c3d4e5f6')).toBe('--shadow a1b2c3d4e5f6: expected <version>=<percent>, e.g. a1b2c3d4e5f6=90');
  });
});
