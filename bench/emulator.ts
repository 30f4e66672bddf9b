/**
 * Benchmark of the GCP emulator itself (not a test): how fast it serves the admin inventory of a large
 * fleet, and how many requests per second it sustains on this machine. Everything stays on 127.0.0.1
 * and every loop is bounded.
 *
 *   npx tsc -p tsconfig.json && npm exec -- node --expose-gc dist/bench/emulator.js [--instances 1000] [--requests 20000] [--concurrency 32]
 *
 * The emulator runs in-process at latency scale 0 (no modelled delay), so the figures are its own cost:
 * routing, schema validation, the store, JSON. Instances are created through the official compute
 * client, as the product creates them.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createGcpClients } from '../src/gcp/clients.js';
import { startEmulator } from '../src/emulator/index.js';

const { values } = parseArgs({
  options: {
    instances: { type: 'string', default: '1000' },
    requests: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '32' },
  },
});
const INSTANCES = Number(values.instances);
const REQUESTS = Number(values.requests);
const CONCURRENCY = Number(values.concurrency);
const PROJECT = 'bench-project';
const REGION = 'us-central1';
const ZONE = 'us-central1-a';

type Op = { status?: unknown; name?: string | null };

async function pool(total: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await task(next++);
    }),
  );
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function main(): Promise<void> {
  const emulator = await startEmulator({
    port: 0,
    latencyScale: 0,
    computeQuotas: { CPUS: INSTANCES * 2 + 100, INSTANCES: INSTANCES + 10, SSD_TOTAL_GB: INSTANCES * 20 + 100 },
  });
  const gcp = createGcpClients({ emulatorUrl: emulator.url });
  const wait = async (started: { latestResponse?: unknown }, zone?: string) => {
    let op = started.latestResponse as Op;
    while (op.status !== 'DONE') {
      [op] = zone
        ? await gcp.zoneOperations.wait({ project: PROJECT, zone, operation: op.name! })
        : await gcp.globalOperations.wait({ project: PROJECT, operation: op.name! });
    }
  };
  const regionWait = async (started: { latestResponse?: unknown }) => {
    let op = started.latestResponse as Op;
    while (op.status !== 'DONE') [op] = await gcp.regionOperations.wait({ project: PROJECT, region: REGION, operation: op.name! });
  };

  try {
    await wait((await gcp.networks.insert({ project: PROJECT, networkResource: { name: 'bench-vpc', autoCreateSubnetworks: false } }))[0]);
    await regionWait((await gcp.subnetworks.insert({
      project: PROJECT,
      region: REGION,
      subnetworkResource: { name: 'bench-sub', network: `projects/${PROJECT}/global/networks/bench-vpc`, ipCidrRange: '10.128.0.0/16' },
    }))[0]);

    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    // 1. Create the fleet through the official client (insert + wait per instance).
    const t0 = performance.now();
    await pool(INSTANCES, CONCURRENCY, async (i) => {
      const name = `agent-${String(i).padStart(5, '0')}`;
      const [op] = await gcp.instances.insert({
        project: PROJECT,
        zone: ZONE,
        instanceResource: {
          name,
          machineType: `zones/${ZONE}/machineTypes/e2-small`,
          labels: { 'managed-by': 'agents-plane', agent: name },
          metadata: { items: [{ key: 'enable-guest-attributes', value: 'TRUE' }] },
          disks: [{ boot: true, autoDelete: true, initializeParams: { sourceImage: 'projects/debian-cloud/global/images/family/debian-12', diskSizeGb: '20', diskType: `zones/${ZONE}/diskTypes/pd-balanced` } }],
          networkInterfaces: [{ subnetwork: `projects/${PROJECT}/regions/${REGION}/subnetworks/bench-sub` }],
        },
      });
      await wait(op, ZONE);
    });
    const createMs = performance.now() - t0;
    // Each instance: one insert and (usually) one wait call.
    const createCalls = (emulator.calls()['compute.instances.insert'] ?? 0) + (emulator.calls()['compute.zoneOperations.wait'] ?? 0);

    // 2. The inventory of the fleet over HTTP (instances + disks + network rows).
    const inventoryMs: number[] = [];
    let rows = 0;
    let bytes = 0;
    for (let i = 0; i < 20; i++) {
      const s = performance.now();
      const res = await fetch(`${emulator.url}/__emulator/inventory`);
      const text = await res.text();
      inventoryMs.push(performance.now() - s);
      bytes = text.length;
      rows = (JSON.parse(text) as { resources: unknown[] }).resources.length;
    }
    inventoryMs.sort((a, b) => a - b);
    gc?.();
    const fleetHeapMb = gc ? Math.round((process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024) : undefined;

    // 3. Sustained requests per second: instances.get over plain keep-alive HTTP (emulator cost only),
    //    and through the official client (what the product sees, client overhead included).
    const rawStart = performance.now();
    await pool(REQUESTS, CONCURRENCY, async (i) => {
      const res = await fetch(`${emulator.url}/compute/v1/projects/${PROJECT}/zones/${ZONE}/instances/agent-${String(i % INSTANCES).padStart(5, '0')}`);
      if (res.status !== 200) throw new Error(`GET answered ${res.status}`);
      await res.arrayBuffer();
    });
    const rawSeconds = (performance.now() - rawStart) / 1000;
    const clientRequests = Math.min(REQUESTS, 5000);
    const clientStart = performance.now();
    await pool(clientRequests, CONCURRENCY, async (i) => {
      await gcp.instances.get({ project: PROJECT, zone: ZONE, instance: `agent-${String(i % INSTANCES).padStart(5, '0')}` });
    });
    const clientSeconds = (performance.now() - clientStart) / 1000;

    const result = {
      machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
      fleet: { instances: INSTANCES, createSeconds: +(createMs / 1000).toFixed(2), createCallsPerSecond: Math.round(createCalls / (createMs / 1000)) },
      inventory: { rows, bytes, p50Ms: +quantile(inventoryMs, 0.5).toFixed(1), p95Ms: +quantile(inventoryMs, 0.95).toFixed(1), runs: inventoryMs.length },
      requestsPerSecond: {
        rawHttpInstancesGet: Math.round(REQUESTS / rawSeconds),
        officialClientInstancesGet: Math.round(clientRequests / clientSeconds),
        concurrency: CONCURRENCY,
        requests: { raw: REQUESTS, client: clientRequests },
      },
      // The whole process: the emulator and the Google clients (which load compute's 12 MB schema).
      rssMb: Math.round(process.memoryUsage().rss / 1024 / 1024),
      // Heap the fleet adds to the emulator (run node with --expose-gc to measure it).
      ...(fleetHeapMb !== undefined ? { fleetHeapMb } : {}),
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await gcp.close();
    await emulator.close();
  }
}

await main();
