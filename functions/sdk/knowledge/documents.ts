import { parse as parseYaml } from 'yaml';

/** One document of a knowledge collection, as function code reads it (`ctx.knowledge[name].documents`). */
export interface KnowledgeDocument {
  /** The file's path without its extension (`refunds/eu`), or a JSON document's own `id`. */
  id: string;
  /** A Markdown file's first `# ` heading (else its file name), or a JSON document's `title`. */
  title: string;
  text: string;
  /** A Markdown file's YAML front matter, or a JSON document's `metadata`. */
  metadata: Record<string, unknown>;
}

/** A collection as a loaded function sees it: which version, and its documents. */
export interface KnowledgeCollection {
  name: string;
  version: string;
  documents: KnowledgeDocument[];
}

/** One file of a collection as `autoglm knowledge put` takes it and `get --out` writes it back. */
export interface KnowledgeFile {
  /** Relative, `/`-separated, no `..`. */
  path: string;
  data: Buffer;
}

/** The file kinds a collection holds: text the platform turns into documents. */
export const KNOWLEDGE_EXTENSIONS = ['.md', '.markdown', '.txt', '.json', '.jsonl'] as const;

/** A file that cannot be read as documents, naming it (and the line, for JSON Lines). */
export class KnowledgeFormatError extends Error {
  override readonly name = 'KnowledgeFormatError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/;

function fromMarkdown(path: string, text: string): KnowledgeDocument {
  let body = text;
  let metadata: Record<string, unknown> = {};
  const fm = FRONT_MATTER.exec(text);
  if (fm) {
    let parsed: unknown;
    try {
      parsed = parseYaml(fm[1]!);
    } catch (err) {
      throw new KnowledgeFormatError(path, `front matter is not YAML: ${(err as Error).message}`);
    }
    if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) throw new KnowledgeFormatError(path, 'front matter must be a mapping');
    metadata = (parsed ?? {}) as Record<string, unknown>;
    body = text.slice(fm[0].length);
  }
  const heading = /^#\s+(.+)$/m.exec(body)?.[1]?.trim();
  const id = path.replace(/\.[^./]+$/, '');
  return { id, title: typeof metadata.title === 'string' ? metadata.title : (heading ?? id.split('/').at(-1)!), text: body.trim(), metadata };
}

function fromJson(path: string, value: unknown, where: string): KnowledgeDocument {
  const d = value as Partial<KnowledgeDocument> | null;
  if (!d || typeof d !== 'object' || Array.isArray(d)) throw new KnowledgeFormatError(path, `${where}: a document must be an object {id, title?, text, metadata?}`);
  if (typeof d.id !== 'string' || d.id === '') throw new KnowledgeFormatError(path, `${where}: \`id\` must be a non-empty string`);
  if (typeof d.text !== 'string') throw new KnowledgeFormatError(path, `${where}: \`text\` must be a string`);
  if (d.title !== undefined && typeof d.title !== 'string') throw new KnowledgeFormatError(path, `${where}: \`title\` must be a string`);
  if (d.metadata !== undefined && (typeof d.metadata !== 'object' || d.metadata === null || Array.isArray(d.metadata))) throw new KnowledgeFormatError(path, `${where}: \`metadata\` must be an object`);
  return { id: d.id, title: d.title ?? d.id, text: d.text, metadata: d.metadata ?? {} };
}

/**
 * The documents of a collection's files, in path order: a Markdown or text file is one document;
 * a `.json` file holds one document or an array of them, a `.jsonl` file one a line.
 * @throws KnowledgeFormatError naming the file (and line) that is not documents, or an id twice
 */
export function documentsOf(files: readonly KnowledgeFile[]): KnowledgeDocument[] {
  const docs: KnowledgeDocument[] = [];
  for (const f of [...files].sort((a, b) => a.path.localeCompare(b.path))) {
    const ext = /\.[^./]+$/.exec(f.path)?.[0]?.toLowerCase();
    const text = f.data.toString('utf8');
    if (ext === '.md' || ext === '.markdown' || ext === '.txt') docs.push(fromMarkdown(f.path, text));
    else if (ext === '.json') {
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch (err) {
        throw new KnowledgeFormatError(f.path, `not JSON: ${(err as Error).message}`);
      }
      (Array.isArray(v) ? v : [v]).forEach((d, i) => docs.push(fromJson(f.path, d, Array.isArray(v) ? `item ${i}` : 'document')));
    } else if (ext === '.jsonl') {
      text.split('\n').forEach((line, i) => {
        if (line.trim() === '') return;
        let v: unknown;
        try {
          v = JSON.parse(line);
        } catch (err) {
          throw new KnowledgeFormatError(f.path, `line ${i + 1}: not JSON: ${(err as Error).message}`);
        }
        docs.push(fromJson(f.path, v, `line ${i + 1}`));
      });
    } else throw new KnowledgeFormatError(f.path, `not a knowledge file (use ${KNOWLEDGE_EXTENSIONS.join(', ')})`);
  }
  const seen = new Set<string>();
  for (const d of docs) {
    if (seen.has(d.id)) throw new KnowledgeFormatError(d.id, 'two documents have this id');
    seen.add(d.id);
  }
  return docs;
}
