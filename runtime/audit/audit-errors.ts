import { AutoglmError } from '../../functions/sdk/index.ts';

/**
 * The audit log cannot take records: it is closed, or the disk has refused writes for so long
 * that the in-memory backlog is full. Requests fail rather than go unaudited.
 */
export class AuditUnavailableError extends AutoglmError {
  override readonly name = 'AuditUnavailableError';
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super('AUDIT_UNAVAILABLE', message, { status: 503, retryable: true, ...opts });
  }
}

/** A router asked for a chain id that a live process holds. */
export class AuditChainBusyError extends AutoglmError {
  override readonly name = 'AuditChainBusyError';
  constructor(readonly chain: string, holder: string) {
    super('AUDIT_CHAIN_BUSY', `audit chain '${chain}' is held by ${holder}`, { status: 500 });
  }
}

/**
 * A chain's end does not match its head file (records cut off, head edited, last record altered).
 * Such a chain is left untouched as evidence: no process continues it.
 */
export class AuditChainDamagedError extends AutoglmError {
  override readonly name = 'AuditChainDamagedError';
  constructor(readonly chain: string, readonly reason: string) {
    super('AUDIT_CHAIN_DAMAGED', `audit chain '${chain}' is damaged: ${reason}`, { status: 500 });
  }
}

/** An event the platform built is missing a required field: a bug, not a user error. */
export class InvalidAuditEventError extends AutoglmError {
  override readonly name = 'InvalidAuditEventError';
  constructor(field: string, message: string) {
    super('INVALID_AUDIT_EVENT', `audit event ${field}: ${message}`, { status: 500, extra: { field } });
  }
}

/** No audit log where one was expected (offline verify of a wrong directory). */
export class AuditLogNotFoundError extends AutoglmError {
  override readonly name = 'AuditLogNotFoundError';
  constructor(dir: string) {
    super('AUDIT_LOG_NOT_FOUND', `no audit log in ${dir}`, { status: 404 });
  }
}
