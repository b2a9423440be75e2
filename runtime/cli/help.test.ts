import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { markRequiredOptions } from './help.ts';

describe('markRequiredOptions', () => {
  it('marks required options in the help of commands added afterwards, at any depth, and no others', () => {
    const program = markRequiredOptions(new Command('autoglm'));
    const create = program
      .command('token')
      .command('create')
      .requiredOption('--sub <name>', 'who it is for')
      .requiredOption('--role <role>', 'a role (repeatable)', (v: string, all: string[] = []) => [...all, v])
      .option('--ttl <duration>', 'lifetime', '30d');
    const line = (flag: string) => create.helpInformation().split('\n').find((l) => l.trimStart().startsWith(flag))!;
    expect(line('--sub')).toMatch(/who it is for \(required\)$/);
    expect(line('--role')).toMatch(/a role \(repeatable\) \(required\)$/);
    expect(line('--ttl')).toMatch(/lifetime \(default: "30d"\)$/);
  });
});
