/**
 * The emulated IAP tunnel and the guest's OpenClaw gateway behind it. The tunnel admits a caller only
 * with roles/iap.tunnelResourceAccessor on the instance's tunnel resource (its condition, port 22,
 * honoured): 401 without credentials, 403 for anybody else, another port, or a missing instance. Behind
 * it the gateway sends its challenge, refuses a wrong token (AUTH_TOKEN_MISMATCH), reports the runtime
 * profile's channels, and pairs Signal by QR: start → PNG QR + session key, `pairing` in the guest
 * attribute, a simulated scan, wait → connected; the link survives a reboot, which drops the connection. Nothing listening → 502.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGcpClients, type GcpClients } from '../../src/gcp/clients.js';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.js';
import { GUEST_ATTRIBUTES, GUEST_NAMESPACE, METADATA } from '../../src/domain/guest-contract.js';
import type { AgentName, PlaneName, ProjectId, SecretKey } from '../../src/domain/names.js';
import { agentResourceNames } from '../../src/domain/resource-names.js';
import WebSocket from 'ws';
import type { GatewayErrorShape, GatewayFrame } from '../../src/domain/gateway-protocol.js';
import { GatewayTunnelError, openGatewayClient } from '../../src/gcp/gateway-tunnel.js';
import { createNetwork, createServiceAccount, done, instanceBody } from './support/compute-fixtures.js';
import { until as waitUntil } from '../support/until.js';

const PROJECT = 'tunnel-suite';
const ZONE = 'us-central1-a';
const TOKEN = 'gateway-token-for-the-tunnel-suite';
const n = agentResourceNames(PROJECT as ProjectId, 'tun' as PlaneName, 'alpha' as AgentName);
const INSTANCE = n.instance;
const ref = { project: PROJECT, zone: ZONE, instance: INSTANCE };

let emulator: EmulatorHandle;
let gcp: GcpClients;

/** Emulator time is scaled far down: poll often. */
const until = <T>(what: string, probe: () => Promise<T | undefined>) => waitUntil(what, probe, 8000, 10);

async function attributes(): Promise<Record<string, string>> {
  const [attrs] = await gcp.instances.getGuestAttributes({ ...ref, queryPath: `${GUEST_NAMESPACE}/` }).catch(() => [{ queryValue: { items: [] } }]);
  return Object.fromEntries((attrs.queryValue?.items ?? []).map((i) => [i.key!, i.value!]));
}

const channelsAttribute = async () => JSON.parse((await attributes())[GUEST_ATTRIBUTES.channels] ?? '{}') as Record<string, string>;

interface TunnelCall {
  caller?: string;
  port?: number;
  instance?: string;
  forwardPort?: number;
}

interface Refused {
  status: number;
  body: { error?: { status: string; message: string } };
}

/** A raw tunnel WebSocket: every frame it received, and how it closed. */
interface RawTunnel {
  ws: WebSocket;
  frames: GatewayFrame[];
  closed: Promise<{ code: number; reason: string }>;
  next(match: (f: GatewayFrame) => boolean): Promise<GatewayFrame>;
}

function tunnelUrl(c: TunnelCall): string {
  const q = new URLSearchParams({ project: PROJECT, zone: ZONE, instance: c.instance ?? INSTANCE, interface: 'nic0', port: String(c.port ?? 22) });
  if (c.forwardPort) q.set('forward', `127.0.0.1:${c.forwardPort}`);
  return `${emulator.url.replace(/^http/, 'ws')}/v4/connect?${q.toString()}`;
}

/** Opens the tunnel WebSocket; a refusal before the upgrade comes back as its HTTP status and body. */
function tunnel(c: TunnelCall): Promise<RawTunnel | Refused> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(tunnelUrl(c), { headers: c.caller ? { authorization: `Bearer ${c.caller}` } : {} });
    const frames: GatewayFrame[] = [];
    const waiters: { match: (f: GatewayFrame) => boolean; resolve: (f: GatewayFrame) => void }[] = [];
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.on('message', (data) => {
      const f = JSON.parse(String(data)) as GatewayFrame;
      frames.push(f);
      for (const w of waiters.splice(0)) (w.match(f) ? w.resolve(f) : waiters.push(w));
    });
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Refused['body'] }));
    });
    ws.on('error', reject);
    ws.on('open', () =>
      resolve({
        ws,
        frames,
        closed,
        next: (match) => {
          const seen = frames.find(match);
          return seen ? Promise.resolve(seen) : new Promise((r) => waiters.push({ match, resolve: r }));
        },
      }),
    );
  });
}

const isOpen = (t: RawTunnel | Refused): t is RawTunnel => 'ws' in t;

/** A gateway client over the tunnel as alice (the product's client, which signs the challenge). */
const gateway = (token = TOKEN) =>
  openGatewayClient({ url: tunnelUrl({}), headers: { authorization: 'Bearer alice@example.com' }, gatewayToken: token, where: `instance ${INSTANCE}`, caller: 'alice@example.com' });

/** One request on a fresh connection as alice: its payload, or the gateway's error. */
async function call(method: string, params: unknown = {}): Promise<{ ok: true; payload: unknown } | { ok: false; error: GatewayErrorShape }> {
  const client = await gateway();
  try {
    return { ok: true, payload: await client.call(method, params) };
  } catch (error) {
    if (error instanceof GatewayTunnelError && error.gateway) return { ok: false, error: error.gateway };
    throw error;
  } finally {
    client.close();
  }
}

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, latencyScale: 0.001, guest: { minHeartbeatRealMs: 20 } });
  gcp = createGcpClients({ emulatorUrl: emulator.url }, { resilient: false });
  const net = await createNetwork(gcp, PROJECT, 'tunnel-vpc');
  const email = await createServiceAccount(gcp, PROJECT, 'agent-alpha');
  const secrets = (['OPENCLAW_GATEWAY_TOKEN', 'TELEGRAM_BOT_TOKEN'] as SecretKey[]).map((k) => n.secretName(k));
  for (const key of ['OPENCLAW_GATEWAY_TOKEN', 'TELEGRAM_BOT_TOKEN'] as SecretKey[]) {
    await gcp.secrets.createSecret({ parent: `projects/${PROJECT}`, secretId: n.secretId(key), secret: { replication: { automatic: {} } } });
    await gcp.secrets.setIamPolicy({ resource: n.secretName(key), policy: { bindings: [{ role: 'roles/secretmanager.secretAccessor', members: [`serviceAccount:${email}`] }] } });
  }
  await gcp.secrets.addSecretVersion({ parent: secrets[0], payload: { data: Buffer.from(TOKEN) } });
  const metadata = {
    [METADATA.startupScript]: '#!/bin/bash\n# rendered boot script',
    [METADATA.enableGuestAttributes]: 'TRUE',
    [METADATA.agentVersion]: '2026.9.6',
    [METADATA.secretNames]: secrets.join(','),
    [METADATA.plane]: 'tun',
    [METADATA.agent]: 'alpha',
    [METADATA.runtimeProfile]: JSON.stringify({ channels: ['telegram', 'signal'], modelTier: 'standard', heartbeatMs: 1_800_000, tools: [] }),
  };
  await done(gcp, PROJECT, (await gcp.instances.insert({ project: PROJECT, zone: ZONE, instanceResource: instanceBody(PROJECT, INSTANCE, net, { serviceAccount: email, metadata }) }))[0]);
  await until('a healthy gateway', async () => ((await attributes()).health === 'ok' ? true : undefined));
  const grant = await fetch(`${emulator.url}/v1/projects/${PROJECT}/iap_tunnel/zones/${ZONE}/instances/${INSTANCE}:setIamPolicy`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      policy: {
        version: 3,
        bindings: [{ role: 'roles/iap.tunnelResourceAccessor', members: ['user:alice@example.com'], condition: { title: 'ssh-only', expression: 'destination.port == 22' } }],
      },
    }),
  });
  expect(grant.status, await grant.text()).toBe(200);
});

afterAll(async () => {
  await gcp?.close();
  await emulator?.close();
});

describe('the IAP tunnel', () => {
  it('admits only a caller holding the tunnel role on that instance, for the port its condition allows; refusals come before the upgrade', async () => {
    const anonymous = await tunnel({});
    expect(isOpen(anonymous)).toBe(false);
    expect((anonymous as Refused).status).toBe(401);
    expect((anonymous as Refused).body.error?.status).toBe('UNAUTHENTICATED');
    for (const denied of [
      { caller: 'bob@example.com' },
      { caller: 'alice@example.com', port: 3389 },
      { caller: 'alice@example.com', instance: 'no-such-vm' },
    ]) {
      const r = (await tunnel(denied)) as Refused;
      expect(r.status, JSON.stringify(denied)).toBe(403);
      expect(r.body.error?.status).toBe('PERMISSION_DENIED');
    }
    const admitted = await tunnel({ caller: 'alice@example.com' });
    expect(isOpen(admitted)).toBe(true);
    const challenge = await (admitted as RawTunnel).next(() => true);
    expect(challenge).toMatchObject({ type: 'event', event: 'connect.challenge', payload: { nonce: expect.stringMatching(/^[0-9a-f]{32}$/) as unknown, ts: expect.any(Number) as unknown } });
    (admitted as RawTunnel).ws.close();
    const client = await gateway();
    expect(await client.call('channels.status', {})).toHaveProperty('channels');
    client.close();
  });

  it('the product client reports 401/403 at the upgrade as PERMISSION_DENIED', async () => {
    for (const headers of [{}, { authorization: 'Bearer bob@example.com' }] as Record<string, string>[]) {
      const refused = openGatewayClient({ url: tunnelUrl({}), headers, gatewayToken: TOKEN, where: `instance ${INSTANCE}`, caller: 'bob@example.com' });
      await expect(refused).rejects.toMatchObject({ kind: 'PERMISSION_DENIED', message: expect.stringContaining('permission denied: bob@example.com may not open an IAP tunnel') as unknown });
    }
  });

  it('is a WebSocket only: a plain GET is refused with 400', async () => {
    const res = await fetch(tunnelUrl({}).replace(/^ws/, 'http'), { headers: { authorization: 'Bearer alice@example.com' } });
    expect(res.status).toBe(400);
  });

  it('reaches nothing on a port where nothing listens (502 before the upgrade)', async () => {
    const r = (await tunnel({ caller: 'alice@example.com', forwardPort: 8080 })) as Refused;
    expect(r.status).toBe(502);
    expect(r.body.error?.message).toContain('Connection refused');
  });
});

describe("the guest's gateway", () => {
  it('refuses a wrong token, and a connect without a device signature over its nonce, closing with 1008', async () => {
    await expect(gateway('not-the-token')).rejects.toMatchObject({ kind: 'GATEWAY_AUTH', gateway: { details: { code: 'AUTH_TOKEN_MISMATCH' } } });
    const raw = (await tunnel({ caller: 'alice@example.com' })) as RawTunnel;
    await raw.next((f) => f.type === 'event');
    raw.ws.send(JSON.stringify({ type: 'req', id: 'c1', method: 'connect', params: { minProtocol: 4, maxProtocol: 4, auth: { token: TOKEN } } }));
    const refused = await raw.next((f) => f.type === 'res');
    expect(refused).toMatchObject({ id: 'c1', ok: false, error: { details: { code: 'DEVICE_AUTH_REQUIRED' } } });
    expect((await raw.closed).code).toBe(1008);
    expect(JSON.stringify(raw.frames)).not.toContain(TOKEN);
  });

  it("reports the profile's channels: telegram unconfigured without a bot token version, signal not linked", async () => {
    expect(await channelsAttribute()).toEqual({ telegram: 'unconfigured', signal: 'unconfigured' });
    const status = await call('channels.status');
    expect(status).toMatchObject({
      ok: true,
      payload: { channels: { telegram: { connected: false, configured: false }, signal: { connected: false, linked: false } } },
    });
    const telegram = await call('web.login.start', { channel: 'telegram' });
    expect(telegram).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST', message: 'channel telegram does not support QR login' } });
    const whatsapp = await call('web.login.start', { channel: 'whatsapp' });
    expect(whatsapp).toMatchObject({ ok: false, error: { message: 'channel whatsapp is not configured' } });
  });

  it('pairs Signal on one connection: a PNG QR and session key, the wait answered when the phone scans, then connected; the link survives a reboot', async () => {
    const client = await gateway();
    const payload = await client.call<{ qrDataUrl: string; sessionKey: string; message: string }>('web.login.start', { channel: 'signal' });
    expect(payload.qrDataUrl).toMatch(/^data:image\/png;base64,iVBORw0KGgo/);
    expect(payload.sessionKey).toMatch(/^[0-9a-f]{24}$/);
    expect((await channelsAttribute()).signal).toBe('pairing');

    expect(await client.call('web.login.wait', { channel: 'signal', sessionKey: payload.sessionKey, timeoutMs: 50 })).toMatchObject({ connected: false });
    let answered = false;
    const waiting = client.call('web.login.wait', { channel: 'signal', sessionKey: payload.sessionKey, timeoutMs: 5000 }).finally(() => (answered = true));
    // Another request on the same connection is answered while the wait is outstanding.
    expect(await client.call('channels.status', {})).toMatchObject({ channels: { signal: { connected: false } } });
    expect(answered).toBe(false);
    await emulator.admin('/guest', { instance: `projects/${PROJECT}/zones/${ZONE}/instances/${INSTANCE}`, link: 'signal' });
    expect(await waiting).toMatchObject({ connected: true });
    expect((await channelsAttribute()).signal).toBe('connected');

    // The reboot takes the gateway down: the connection drops.
    await done(gcp, PROJECT, (await gcp.instances.reset(ref))[0]);
    await expect(client.call('channels.status', {})).rejects.toMatchObject({ kind: 'GATEWAY_UNAVAILABLE' });
    // Guest attributes outlive a reset; the gateway answering again is what says the guest is back.
    await until('the gateway back after the reboot', async () => {
      const c = await gateway().catch(() => undefined);
      c?.close();
      return c;
    });
    expect(await call('channels.status')).toMatchObject({ ok: true, payload: { channels: { signal: { connected: true, linked: true } } } });
    expect(await call('web.login.start', { channel: 'signal' })).toMatchObject({ ok: true, payload: { connected: true } });
  });

  it('drops the connection of a client waiting on a gateway that stops answering (the guest hangs)', async () => {
    const client = await gateway();
    const instance = `projects/${PROJECT}/zones/${ZONE}/instances/${INSTANCE}`;
    const waiting = client.call('web.login.wait', { channel: 'signal', timeoutMs: 5000 });
    await emulator.admin('/guest', { instance, heartbeat: 'hang' });
    await expect(waiting).rejects.toMatchObject({ kind: 'GATEWAY_UNAVAILABLE', message: expect.stringContaining('closed the connection during web.login.wait') as unknown });
    await emulator.admin('/guest', { instance, heartbeat: 'resume' });
  });

  it('refuses a simulated scan when no QR is showing, or for a channel outside the profile', async () => {
    const instance = `projects/${PROJECT}/zones/${ZONE}/instances/${INSTANCE}`;
    await expect(emulator.admin('/guest', { instance, link: 'whatsapp' })).rejects.toThrow(/not in the agent's runtime profile/);
    await expect(emulator.admin('/guest', { instance, link: 'sms' })).rejects.toThrow(/link must be/);
  });
});
