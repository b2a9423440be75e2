import { PlatformError } from '../../queue/platform-error.ts';

/**
 * The audit log cannot take records: it is closed, or the disk has refused writes for so long
 * that the in-memory backlog is full. Requests fail rather than go unaudited.
 */
export class AuditUnavailableError extends PlatformError {
  override readonly name = 'AuditUnavailableError';
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super('AUDIT_UNAVAILABLE', message, opts);
  }
}

/** A router asked for a chain id that a live process holds. */
export class AuditChainBusyError extends PlatformError {
  override readonly name = 'AuditChainBusyError';
  constructor(readonly chain: string, holder: string) {
    super('AUDIT_CHAIN_BUSY', `audit chain '${chain}' is held by ${holder}`);
  }
}

/**
 * A chain's end does not match its head file (records cut off, head edited, last record altered).
 * Such a chain is left untouched as evidence: no process continues it.
 */
export class AuditChainDamagedError extends PlatformError {
  override readonly name = 'AuditChainDamagedError';
  constructor(readonly chain: string, readonly reason: string) {
    super('AUDIT_CHAIN_DAMAGED', `audit chain '${chain}' is damaged: ${reason}`);
  }
}

/** An event the platform built is missing a required field: a bug, not a user error. */
export class InvalidAuditEventError extends PlatformError {
  override readonly name = 'InvalidAuditEventError';
  constructor(field: string, message: string) {
    super('INVALID_AUDIT_EVENT', `audit event ${field}: ${message}`, { extra: { field } });
  }
}

/** No audit log where one was expected (offline verify of a wrong directory). */
export class AuditLogNotFoundError extends PlatformError {
  override readonly name = 'AuditLogNotFoundError';
  constructor(dir: string) {
    super('AUDIT_LOG_NOT_FOUND', `no audit log in ${dir}`);
  }
}
