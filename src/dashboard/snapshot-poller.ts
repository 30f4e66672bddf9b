/**
 * One poller per dashboard process: it reads the fleet at a modest pace and shares each snapshot with
 * every viewer (API calls and event streams alike), so ten open tabs cost Temporal and GCP what one does.
 * It polls only while someone looks (a stream is open, or the API was called recently), and it stretches
 * its interval so that the per-agent GCP reads stay under a read budget: hundreds of agents are then
 * refreshed less often rather than eating the project's compute read quota.
 */
import type { FleetRead } from './fleet-reader.js';
import type { FleetSnapshot, PlaneView } from './fleet-snapshot.js';

export interface PollerOptions {
  /** Shortest time between two refreshes. */
  readonly intervalMs: number;
  /** GCP read calls per minute the dashboard allows itself (compute allows 1,500 gets per minute per project). */
  readonly maxGcpReadsPerMinute: number;
  /** Polling stops this long after the last viewer left. */
  readonly idleAfterMs: number;
  readonly namespace: string;
  readonly webUiUrl: string | null;
}

export const DEFAULT_POLLER_OPTIONS = { intervalMs: 3_000, maxGcpReadsPerMinute: 600, idleAfterMs: 30_000 } as const;

type Listener = (snapshot: FleetSnapshot) => void;

export class SnapshotPoller {
  private latestSnapshot: FleetSnapshot | undefined;
  private lastGood: readonly PlaneView[] = [];
  private sequence = 0;
  private nextDelayMs: number;
  private lastDemand = 0;
  private looping = false;
  private stopped = false;
  private wake: (() => void) | undefined;
  private readonly listeners = new Set<Listener>();
  private waiters: ((snapshot: FleetSnapshot) => void)[] = [];
  private loopDone: Promise<void> = Promise.resolve();

  constructor(
    private readonly read: () => Promise<FleetRead>,
    private readonly options: PollerOptions,
  ) {
    this.nextDelayMs = options.intervalMs;
  }

  latest(): FleetSnapshot | undefined {
    return this.latestSnapshot;
  }

  /** A snapshot no older than one interval (waits for a refresh when the poller was idle). */
  async snapshot(): Promise<FleetSnapshot> {
    this.demand();
    const latest = this.latestSnapshot;
    if (latest && Date.now() - Date.parse(latest.generatedAt) <= this.nextDelayMs + latest.refreshMs) return latest;
    return this.next();
  }

  /** Calls `listener` with every new snapshot until the returned function is called. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    this.demand();
    return () => {
      this.listeners.delete(listener);
      this.lastDemand = Date.now();
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loopDone;
  }

  private next(): Promise<FleetSnapshot> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private demand(): void {
    this.lastDemand = Date.now();
    if (this.looping || this.stopped) return;
    this.looping = true;
    this.loopDone = this.loop().finally(() => {
      this.looping = false;
    });
  }

  private wanted(): boolean {
    return this.listeners.size > 0 || this.waiters.length > 0 || Date.now() - this.lastDemand < this.options.idleAfterMs;
  }

  private async loop(): Promise<void> {
    while (!this.stopped && this.wanted()) {
      await this.refresh();
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.nextDelayMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  private async refresh(): Promise<void> {
    const started = Date.now();
    let snapshot: FleetSnapshot;
    try {
      const read = await this.read();
      this.lastGood = read.planes;
      this.nextDelayMs = Math.max(this.options.intervalMs, Math.ceil((read.gcpReads * 60_000) / this.options.maxGcpReadsPerMinute));
      snapshot = this.assemble(read.planes, started, null);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      snapshot = this.assemble(this.lastGood, started, message.split('\n')[0] ?? message);
    }
    this.latestSnapshot = snapshot;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve(snapshot);
    for (const listener of this.listeners) listener(snapshot);
  }

  private assemble(planes: readonly PlaneView[], started: number, error: string | null): FleetSnapshot {
    const versions: Record<string, number> = {};
    for (const p of planes) for (const [v, n] of Object.entries(p.versions)) versions[v] = (versions[v] ?? 0) + n;
    const sum = (pick: (p: PlaneView) => number) => planes.reduce((total, p) => total + pick(p), 0);
    return {
      sequence: ++this.sequence,
      generatedAt: new Date().toISOString(),
      refreshMs: Date.now() - started,
      intervalMs: this.nextDelayMs,
      temporal: { namespace: this.options.namespace, webUiUrl: this.options.webUiUrl },
      planes,
      totals: {
        planes: planes.length,
        agents: sum((p) => p.totals.agents),
        ready: sum((p) => p.totals.ready),
        unhealthy: sum((p) => p.totals.unhealthy),
        monthlyCostUsd: Math.round(sum((p) => p.totals.monthlyCostUsd) * 100) / 100,
      },
      versions,
      error,
      stale: error !== null,
    };
  }
}
