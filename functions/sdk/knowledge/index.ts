/** Knowledge collections: the document format the platform stores and function code reads (`ctx.knowledge`). */
export { KNOWLEDGE_EXTENSIONS, KnowledgeFormatError, documentsOf } from './documents.ts';
export type { KnowledgeCollection, KnowledgeDocument, KnowledgeFile } from './documents.ts';
