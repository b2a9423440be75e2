import type { FunctionRecord } from '../../queue/index.ts';

/**
 * The router's in-memory view of deployed functions, kept current by the catalogue watch, so
 * looking a function up on the hot path costs a map read.
 */
export class FunctionDirectory {
  private byName = new Map<string, FunctionRecord>();

  get(name: string): FunctionRecord | undefined {
    return this.byName.get(name);
  }

  list(): FunctionRecord[] {
    return [...this.byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  replace(all: FunctionRecord[]): void {
    this.byName = new Map(all.map((r) => [r.name, r]));
  }
}
