import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { table } from '../output.ts';

/** `autoglm webhook key`: the key a namespace's webhooks are signed with, for its receivers. */
export function registerWebhookCommands(program: Command, ctx: () => CliContext): void {
  const webhook = program.command('webhook').description('webhook signing keys (each namespace has its own)');
  webhook
    .command('key')
    .description("print the keys a namespace's webhooks are signed with (admin, or deployer of the namespace; the read is audited). Give the active one to the receiver; keep an old one there until the operator drops it")
    .requiredOption('--namespace <ns>', 'the namespace whose jobs the receiver takes webhooks for')
    .action(async (o: { namespace: string }) => {
      const c = ctx();
      const r = await c.api().request('GET', `/v1/webhook-keys?namespace=${encodeURIComponent(o.namespace)}`);
      c.out.print(r.body, () => table(['KEY ID', 'ACTIVE', 'KEY'], r.body.keys.map((k: { id: string; key: string; active: boolean }) => [k.id, k.active ? 'yes' : 'no (rotation grace)', k.key])));
    });
}
