/**
 * The audit trail: an append-only log of who did what (deploys, traffic changes, tokens,
 * invocations, denials), kept as JSON-lines files under `<stateDir>/audit`, each record sealed
 * with a router-only key (HMAC chain) and each chain's head anchored outside the files.
 */
export { AuditLog } from './audit-log.ts';
export type { AuditLogOptions, LastVerification } from './audit-log.ts';

export type { AuditAction, AuditEvent, AuditOutcome, AuditRecord } from './audit-record.ts';
export { AUDIT_KEYS_FILE, newAuditKeySpec, parseAuditKeys } from './audit-keys.ts';
export type { AuditKeyring } from './audit-keys.ts';
export type { HeadAnchor, HeadAnchors } from './head-anchors.ts';
export { HEAD_TYPE, HeadSink, anchorsWithSink } from './head-sink.ts';
export type { SinkedHead } from './head-sink.ts';
export { openTransport, syslogMessage } from './sink-transports.ts';
export type { SinkTransport } from './sink-transports.ts';
export { parseSinkedHeads, sinkedHeadsFile } from './sinked-heads.ts';
export { ACTION_RE, GENESIS, canonicalJson, recordHash } from './audit-record.ts';

export { auditDenials, auditNotes, auditRequest, audited } from './audit-middleware.ts';
export { INVALID, auditTarget } from './audit-subject.ts';
export type { AuditNote, RequestAudit } from './audit-middleware.ts';

export { DEFAULT_QUERY_LIMIT, MAX_QUERY_LIMIT, auditCursor, parseAuditCursor, parseAuditTime, queryAuditDir } from './audit-query.ts';
export type { AuditCursor, AuditEntry, AuditFilter } from './audit-query.ts';

export { verifyAuditDir } from './chain-verify.ts';
export type { BadRecord, ChainReport, HeadAnchorCheck, VerifyOptions, VerifyReport } from './chain-verify.ts';

export type { PruneResult } from './retention.ts';

export {
  AuditChainBusyError,
  AuditChainDamagedError,
  AuditLogNotFoundError,
  AuditUnavailableError,
  InvalidAuditEventError,
} from './audit-errors.ts';
