/** Counts every API call by method id (admin calls excluded), for `GET /__emulator/calls`. */
export class CallLog {
  private readonly counts = new Map<string, number>();

  record(methodId: string): void {
    this.counts.set(methodId, (this.counts.get(methodId) ?? 0) + 1);
  }

  /** Method id → count, sorted by id. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  count(methodId: string): number {
    return this.counts.get(methodId) ?? 0;
  }

  reset(): void {
    this.counts.clear();
  }
}
