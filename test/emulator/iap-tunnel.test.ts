/**
 * The emulated IAP tunnel and the guest's OpenClaw gateway behind it. The tunnel admits a caller only
 * with roles/iap.tunnelResourceAccessor on the instance's tunnel resource (its condition, port 22,
 * honoured): 401 without credentials, 403 for anybody else, another port, or a missing instance. Behind
 * it the gateway sends its challenge, refuses a wrong token (AUTH_TOKEN_MISMATCH), reports the runtime
 * profile's channels, and pairs Signal by QR: start → PNG QR + session key, `pairing` in the guest
 * attribute, a simulated scan, wait → connected; the link survives a reboot. Nothing listening → 502.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGcpClients, type GcpClients } from '../../src/gcp/clients.js';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.js';
import { GUEST_ATTRIBUTES, GUEST_NAMESPACE, METADATA } from '../../src/domain/guest-contract.js';
import type { AgentName, PlaneName, ProjectId, SecretKey } from '../../src/domain/names.js';
import { agentResourceNames } from '../../src/domain/resource-names.js';
import type { GatewayFrame, RequestFrame } from '../../src/domain/gateway-protocol.js';
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
  frames: RequestFrame[];
}

async function tunnel(c: TunnelCall): Promise<{ status: number; body: { frames?: GatewayFrame[]; error?: { status: string; message: string } } }> {
  const q = new URLSearchParams({ project: PROJECT, zone: ZONE, instance: c.instance ?? INSTANCE, interface: 'nic0', port: String(c.port ?? 22) });
  const res = await fetch(`${emulator.url}/v4/connect?${q.toString()}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(c.caller ? { authorization: `Bearer ${c.caller}` } : {}) },
    body: JSON.stringify({ forward: { host: '127.0.0.1', port: c.forwardPort ?? 18789 }, frames: c.frames }),
  });
  return { status: res.status, body: (await res.json()) as never };
}

const connect = (token = TOKEN): RequestFrame => ({ type: 'req', id: 'c1', method: 'connect', params: { minProtocol: 4, maxProtocol: 4, auth: { token } } });
const req = (id: string, method: string, params: unknown = {}): RequestFrame => ({ type: 'req', id, method, params });

/** One gateway session as alice; the response to `id`. */
async function call(id: string, method: string, params: unknown = {}): Promise<GatewayFrame & { type: 'res' }> {
  const r = await tunnel({ caller: 'alice@example.com', frames: [connect(), req(id, method, params)] });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.frames!.find((f) => f.type === 'res' && f.id === id) as GatewayFrame & { type: 'res' };
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
  it('admits only a caller holding the tunnel role on that instance, for the port its condition allows', async () => {
    const frames = [connect(), req('s', 'channels.status')];
    const anonymous = await tunnel({ frames });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error?.status).toBe('UNAUTHENTICATED');
    for (const denied of [
      { caller: 'bob@example.com' },
      { caller: 'alice@example.com', port: 3389 },
      { caller: 'alice@example.com', instance: 'no-such-vm' },
    ]) {
      const r = await tunnel({ ...denied, frames });
      expect(r.status, JSON.stringify(denied)).toBe(403);
      expect(r.body.error?.status).toBe('PERMISSION_DENIED');
    }
    const admitted = await tunnel({ caller: 'alice@example.com', frames });
    expect(admitted.status).toBe(200);
    expect(admitted.body.frames![0]).toMatchObject({ type: 'event', event: 'connect.challenge' });
    expect(admitted.body.frames![1]).toMatchObject({ type: 'res', id: 'c1', ok: true, payload: { type: 'hello-ok', protocol: 4 } });
  });

  it('reaches nothing on a port where nothing listens (502)', async () => {
    const r = await tunnel({ caller: 'alice@example.com', forwardPort: 8080, frames: [connect()] });
    expect(r.status).toBe(502);
    expect(r.body.error?.message).toContain('Connection refused');
  });
});

describe("the guest's gateway", () => {
  it('refuses a wrong token and ends the session', async () => {
    const r = await tunnel({ caller: 'alice@example.com', frames: [connect('not-the-token'), req('s', 'channels.status')] });
    expect(r.body.frames).toHaveLength(2);
    expect(r.body.frames![1]).toMatchObject({ id: 'c1', ok: false, error: { details: { code: 'AUTH_TOKEN_MISMATCH' } } });
    expect(JSON.stringify(r.body)).not.toContain(TOKEN);
  });

  it("reports the profile's channels: telegram unconfigured without a bot token version, signal not linked", async () => {
    expect(await channelsAttribute()).toEqual({ telegram: 'unconfigured', signal: 'unconfigured' });
    const status = await call('s', 'channels.status');
    expect(status).toMatchObject({
      ok: true,
      payload: { channels: { telegram: { connected: false, configured: false }, signal: { connected: false, linked: false } } },
    });
    const telegram = await call('t', 'web.login.start', { channel: 'telegram' });
    expect(telegram).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST', message: 'channel telegram does not support QR login' } });
    const whatsapp = await call('w', 'web.login.start', { channel: 'whatsapp' });
    expect(whatsapp).toMatchObject({ ok: false, error: { message: 'channel whatsapp is not configured' } });
  });

  it('pairs Signal: a PNG QR and session key, pairing until the phone scans it, then connected; the link survives a reboot', async () => {
    const started = await call('s1', 'web.login.start', { channel: 'signal' });
    expect(started.ok).toBe(true);
    const payload = (started as { payload: { qrDataUrl: string; sessionKey: string; message: string } }).payload;
    expect(payload.qrDataUrl).toMatch(/^data:image\/png;base64,iVBORw0KGgo/);
    expect(payload.sessionKey).toMatch(/^[0-9a-f]{24}$/);
    expect((await channelsAttribute()).signal).toBe('pairing');

    const notYet = await call('w1', 'web.login.wait', { channel: 'signal', sessionKey: payload.sessionKey, timeoutMs: 50 });
    expect(notYet).toMatchObject({ ok: true, payload: { connected: false } });
    const waiting = call('w2', 'web.login.wait', { channel: 'signal', sessionKey: payload.sessionKey, timeoutMs: 5000 });
    await emulator.admin('/guest', { instance: `projects/${PROJECT}/zones/${ZONE}/instances/${INSTANCE}`, link: 'signal' });
    expect(await waiting).toMatchObject({ ok: true, payload: { connected: true } });
    expect((await channelsAttribute()).signal).toBe('connected');

    await done(gcp, PROJECT, (await gcp.instances.reset(ref))[0]);
    // Guest attributes outlive a reset; the gateway answering again is what says the guest is back.
    await until('the gateway back after the reboot', async () => {
      const r = await tunnel({ caller: 'alice@example.com', frames: [connect(), req('s', 'channels.status')] });
      return r.status === 200 ? r : undefined;
    });
    expect(await call('st', 'channels.status')).toMatchObject({ ok: true, payload: { channels: { signal: { connected: true, linked: true } } } });
    expect(await call('s2', 'web.login.start', { channel: 'signal' })).toMatchObject({ ok: true, payload: { connected: true } });
  });

  it('refuses a simulated scan when no QR is showing, or for a channel outside the profile', async () => {
    const instance = `projects/${PROJECT}/zones/${ZONE}/instances/${INSTANCE}`;
    await expect(emulator.admin('/guest', { instance, link: 'whatsapp' })).rejects.toThrow(/not in the agent's runtime profile/);
    await expect(emulator.admin('/guest', { instance, link: 'sms' })).rejects.toThrow(/link must be/);
  });
});
