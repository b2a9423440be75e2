import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { plural, table } from '../output.ts';
import { collectKnowledgeFiles, toWire, writeKnowledgeFiles, type WireFile } from './knowledge-files.ts';

/** A collection as the API describes it. */
interface Collection {
  name: string;
  namespace: string;
  version: string;
  files: number;
  bytes: number;
  documents: number;
  updatedAt: string;
  updatedBy: string;
}

const query = (o: Record<string, string | undefined>) => {
  const q = new URLSearchParams(Object.entries(o).filter((e): e is [string, string] => e[1] !== undefined)).toString();
  return q ? `?${q}` : '';
};
const path = (name: string, rest = '') => `/v1/knowledge/${encodeURIComponent(name)}${rest}`;
const sizes = (c: Collection) => `${plural(c.files, 'file')}, ${plural(c.documents, 'document')}, ${plural(c.bytes, 'byte')}`;

/** `autoglm knowledge put|ls|get|rm`: document collections functions read as `ctx.knowledge`, updated without a deploy. */
export function registerKnowledgeCommands(program: Command, ctx: () => CliContext): void {
  const knowledge = program.command('knowledge').description('put, list, read back and remove knowledge collections (documents functions read as ctx.knowledge)');
  knowledge
    .command('put <name> <paths...>')
    .description('make these files the collection\'s new version (a folder: its .md, .markdown, .txt, .json and .jsonl files, recursively, with paths relative to it); functions that read it load again with it')
    .option('-n, --namespace <ns>', "the functions' namespace [default]")
    .action(async (name: string, paths: string[], o: { namespace?: string }) => {
      const c = ctx();
      const files = collectKnowledgeFiles(paths).map(toWire);
      const r = await c.api().request<Collection & { changed: boolean }>('PUT', path(name, query({ namespace: o.namespace })), { body: { files } });
      const k = r.body;
      const what = r.status === 201 ? 'created' : k.changed ? 'updated' : 'unchanged';
      c.out.print(k, () => `${what} knowledge ${k.name}@${k.version} in ${k.namespace}: ${sizes(k)}`);
    });
  knowledge
    .command('ls')
    .description("list a namespace's collections (versions and sizes, never their text)")
    .option('-n, --namespace <ns>', 'namespace [default]')
    .action(async (o: { namespace?: string }) => {
      const c = ctx();
      const r = await c.api().request<{ items: Collection[] }>('GET', `/v1/knowledge${query({ namespace: o.namespace })}`);
      c.out.print(r.body, () => table(['NAME', 'VERSION', 'FILES', 'DOCUMENTS', 'BYTES', 'UPDATED', 'BY'], r.body.items.map((k) => [k.name, k.version, k.files, k.documents, k.bytes, k.updatedAt, k.updatedBy])));
    });
  knowledge
    .command('get <name>')
    .description('write the files of a collection into a folder, exactly as they were put (edit them and put the folder again)')
    .requiredOption('--out <dir>', 'the folder to write them into (empty or new)')
    .option('-n, --namespace <ns>', 'namespace [default]')
    .option('--version <version>', 'an earlier version, while it is kept (an hour after it was replaced) [the current one]')
    .option('--force', 'write into a folder that is not empty (files it holds that the collection lacks stay)')
    .action(async (name: string, o: { out: string; namespace?: string; version?: string; force?: boolean }) => {
      const c = ctx();
      const r = await c.api().request<{ name: string; namespace: string; version: string; files: WireFile[] }>('GET', path(name, `/files${query({ namespace: o.namespace, version: o.version })}`));
      const k = r.body;
      const written = writeKnowledgeFiles(o.out, k.files, o.force === true);
      c.out.print({ name: k.name, namespace: k.namespace, version: k.version, out: o.out, files: written }, () => `wrote ${plural(written.length, 'file')} of ${k.name}@${k.version} to ${o.out}`);
    });
  knowledge
    .command('rm <name>')
    .description('remove a collection (refused while a serving version lists it, unless --force)')
    .option('-n, --namespace <ns>', 'namespace [default]')
    .option('--force', 'remove it anyway: the functions that list it fail their next load')
    .action(async (name: string, o: { namespace?: string; force?: boolean }) => {
      const c = ctx();
      await c.api().request('DELETE', path(name, query({ namespace: o.namespace, ...(o.force ? { force: 'true' } : {}) })));
      const namespace = o.namespace ?? 'default';
      c.out.print({ removed: name, namespace }, () => `removed knowledge ${name} from ${namespace}`);
    });
}
