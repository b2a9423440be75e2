/**
 * `autoglm`: the command line for deploying and calling functions. Human tables by default,
 * `--json` for scripts; errors are one line on stderr and the exit status says what kind
 * (see {@link EXIT}).
 */
import { Command, CommanderError } from 'commander';
import { readCliEnv } from './cli-config.ts';
import { EXIT, describeError } from './cli-error.ts';
import { registerAuditCommands } from './commands/audit-commands.ts';
import { registerConsoleCommand } from './commands/console-command.ts';
import { registerDeployCommands } from './commands/deploy-commands.ts';
import { registerDriftCommands } from './commands/drift-commands.ts';
import { registerFeedbackCommands } from './commands/feedback-commands.ts';
import { registerFunctionCommands } from './commands/function-commands.ts';
import { registerJobCommands } from './commands/job-commands.ts';
import { registerKnowledgeCommands } from './commands/knowledge-commands.ts';
import { registerTrainCommands } from './commands/train-commands.ts';
import { registerLogCommands } from './commands/log-commands.ts';
import { registerLogin } from './commands/login.ts';
import { registerPoolCommands } from './commands/pool-commands.ts';
import { registerRolloutCommands } from './commands/rollout-commands.ts';
import { registerSecretCommands } from './commands/secret-commands.ts';
import { registerTokenCommands } from './commands/token-commands.ts';
import { registerTrafficCommands } from './commands/traffic-commands.ts';
import { registerWebhookCommands } from './commands/webhook-commands.ts';
import { createContext, type CliContext } from './context.ts';
import { markRequiredOptions } from './help.ts';

const env = readCliEnv(process.env);
const program = new Command('autoglm')
  .description('Deploy and call AI functions on Open-AutoGLM')
  .option('--json', 'print JSON instead of tables')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();
program.configureOutput({ outputError: (s, write) => write(s) });
// Before the commands are added: they take the help configuration as they are made.
markRequiredOptions(program);

let context: CliContext | undefined;
const ctx = () => (context ??= createContext(env, Boolean(program.opts().json)));
registerDeployCommands(program, ctx);
registerFunctionCommands(program, ctx);
registerTrafficCommands(program, ctx);
registerRolloutCommands(program, ctx);
registerJobCommands(program, ctx);
registerLogCommands(program, ctx);
registerDriftCommands(program, ctx);
registerFeedbackCommands(program, ctx);
registerLogin(program, ctx);
registerConsoleCommand(program, ctx);
registerPoolCommands(program, ctx);
registerAuditCommands(program, ctx);
registerSecretCommands(program, ctx);
registerKnowledgeCommands(program, ctx);
registerTrainCommands(program, ctx);
registerTokenCommands(program, ctx);
registerWebhookCommands(program, ctx);
for (const c of program.commands) c.exitOverride();
for (const c of program.commands.flatMap((c) => c.commands)) c.exitOverride();

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version end here with status 0; anything else is a usage error.
    process.exit(err.exitCode === 0 ? 0 : EXIT.usage);
  }
  const { line, code } = describeError(err, context?.target?.());
  process.stderr.write(`autoglm: ${line}\n`);
  process.exit(code);
}
