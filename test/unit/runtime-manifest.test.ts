import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/domain/invalid-input.js';
import { parsePlaneManifests } from '../../src/domain/plane-manifest.js';
import { parseAgentSpec } from '../../src/domain/specs.js';

const doc = (defaults: string, agents: string) => `apiVersion: agents-plane/v1
kind: Plane
metadata: { name: eng }
spec:
  infrastructure:
    project: acme-agents
    region: us-central1
    defaults: ${defaults}
  agents:
${agents}
`;

function fieldOf(text: string): string {
  try {
    parsePlaneManifests(text);
  } catch (error) {
    if (error instanceof InvalidInputError) return error.field;
    throw error;
  }
  return 'accepted';
}

describe('planes.yaml runtime profiles', () => {
  it('defaults.runtime is the plane default; an agent runtime sets its own keys over it', () => {
    const [m] = parsePlaneManifests(
      doc(
        '{ runtime: { channels: [telegram], heartbeat: 1h, budgetCap: 20 } }',
        '    - { name: alice, owner: alice@example.com, runtime: { heartbeat: 10m, channelOwners: { telegram: "123456789" } } }\n    - { name: bob, owner: bob@example.com }',
      ),
    );
    expect(m!.spec.defaultRuntime).toMatchObject({ channels: ['telegram'], heartbeatMs: 3_600_000, budget: { capUsdPerMonth: 20, action: 'degrade' } });
    expect(m!.agents[0]!.runtime).toEqual({ channels: ['telegram'], heartbeat: '10m', budgetCap: 20, channelOwners: { telegram: '123456789' } });
    expect(m!.agents[1]!.runtime).toEqual({ channels: ['telegram'], heartbeat: '1h', budgetCap: 20 });
    // The plane resolves a request over its default exactly as the file meant.
    const alice = parseAgentSpec({ plane: 'eng', name: 'alice', owner: 'alice@example.com', runtime: m!.agents[0]!.runtime }, m!.spec);
    expect(alice.runtime).toMatchObject({ heartbeatMs: 600_000, channelOwners: { telegram: '123456789' }, budget: { capUsdPerMonth: 20 } });
  });

  it('a file without runtime keys gives agents no profile (their spec is as before)', () => {
    const [m] = parsePlaneManifests(doc('{ machineType: e2-small }', '    - { name: carol, owner: carol@example.com }'));
    expect(m!.spec.defaultRuntime).toBeUndefined();
    expect(m!.agents[0]!.runtime).toBeUndefined();
    expect(parseAgentSpec({ plane: 'eng', name: 'carol', owner: 'carol@example.com' }, m!.spec).runtime).toBeUndefined();
  });

  it('errors name the path in the file', () => {
    expect(fieldOf(doc('{ runtime: { heartbeat: 5s } }', '    - { name: a, owner: a@example.com }'))).toBe('spec.infrastructure.defaults.runtime.heartbeat');
    expect(fieldOf(doc('{}', '    - { name: a, owner: a@example.com, runtime: { channels: [sms] } }'))).toBe('spec.agents[0].runtime.channels');
    expect(fieldOf(doc('{}', '    - { name: a, owner: a@example.com, runtime: { cadence: 5m } }'))).toBe('spec.agents[0].runtime.cadence');
  });
});
