/** planes.yaml: parsed with the CLI's validators, errors naming the path; the plan against a live roster. */
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/domain/invalid-input.js';
import type { AgentName, MachineType, OwnerEmail } from '../../src/domain/names.js';
import { parsePlaneManifests } from '../../src/domain/plane-manifest.js';
import type { AgentSpec } from '../../src/domain/specs.js';
import { planChanges, planPlane, renderPlan } from '../../src/cli/planes/apply-plan.js';
import type { PlaneStatus, RosterEntry } from '../../src/workflows/plane-messages.js';

const doc = (name: string, agents: string) => `apiVersion: agents-plane/v1
kind: Plane
metadata: { name: ${name} }
spec:
  infrastructure: { project: acme-agents, region: us-central1, defaults: { machineType: e2-small } }
  agents:
${agents}`;

const ENG = doc(
  'eng',
  `    - { name: alice, owner: Alice@Example.com, machineType: e2-medium }
    - { name: bob, owner: bob@example.com }
`,
);

function fieldOf(text: string): string {
  try {
    parsePlaneManifests(text);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as InvalidInputError).field;
  }
  throw new Error('parsed without error');
}

describe('parsePlaneManifests', () => {
  it('reads a plane with its defaults, normalised like the CLI flags', () => {
    const [m] = parsePlaneManifests(ENG);
    expect(m!.spec).toMatchObject({ name: 'eng', project: 'acme-agents', region: 'us-central1', zone: 'us-central1-a' });
    expect(m!.agents.map((a) => [a.name, a.owner, a.machineType, a.path])).toEqual([
      ['alice', 'alice@example.com', 'e2-medium', 'spec.agents[0]'],
      ['bob', 'bob@example.com', 'e2-small', 'spec.agents[1]'],
    ]);
  });

  it.each([
    ['an unknown key in an agent', doc('eng', '    - { name: a1, owner: a@example.com, cpu: 4 }\n'), 'spec.agents[0].cpu'],
    ['an unknown top-level key', `${ENG}extra: 1\n`, 'extra'],
    ['an invalid owner', doc('eng', '    - { name: a1, owner: a@example.com }\n    - { name: a2, owner: a@example.com }\n    - { name: a3, owner: not-an-email }\n'), 'spec.agents[2].owner'],
    ['a duplicate agent name', doc('eng', '    - { name: a1, owner: a@example.com }\n    - { name: a1, owner: b@example.com }\n'), 'spec.agents[1].name'],
    ['a wrong apiVersion', ENG.replace('agents-plane/v1', 'agents-plane/v2'), 'apiVersion'],
    ['a wrong kind', ENG.replace('kind: Plane', 'kind: Agent'), 'kind'],
    ['an unknown machine type', ENG.replace('machineType: e2-small', 'machineType: huge'), 'spec.infrastructure.defaults.machineType'],
    ['a bad plane name', ENG.replace('name: eng', 'name: Eng'), 'metadata.name'],
    ['an unknown region', ENG.replace('us-central1', 'mars-1'), 'spec.infrastructure.region'],
    ['a missing infrastructure', 'apiVersion: agents-plane/v1\nkind: Plane\nmetadata: { name: x }\nspec: { agents: [] }\n', 'spec.infrastructure'],
    ['agents that are not a list', ENG.replace(/agents:\n[\s\S]*$/, 'agents: { a: 1 }\n'), 'spec.agents'],
    ['no document at all', '# nothing\n', '-f'],
    ['broken YAML', 'a: [1, 2\n', '-f'],
    ['a duplicate plane in a second document', `${ENG}---\n${ENG}`, 'documents[1].metadata.name'],
  ])('refuses %s, naming %s', (_what, text, field) => {
    expect(fieldOf(text)).toBe(field);
  });

  it('prefixes paths with the document when the file has several', () => {
    const text = `${ENG}---\n${doc('ops', '    - { name: x1, owner: nope }\n')}`;
    expect(fieldOf(text)).toBe('documents[1].spec.agents[0].owner');
  });
});

function live(agents: { name: string; owner: string; machineType?: string; state?: RosterEntry['state'] }[]): PlaneStatus {
  const [m] = parsePlaneManifests(ENG);
  return {
    spec: m!.spec,
    phase: 'Ready',
    agents: agents.map((a) => ({
      spec: {
        plane: m!.spec.name,
        name: a.name as AgentName,
        owner: a.owner as OwnerEmail,
        machineType: (a.machineType ?? 'e2-small') as MachineType,
        agentVersion: m!.spec.agentVersion,
      } satisfies AgentSpec,
      state: a.state ?? 'Ready',
      since: 0,
    })),
  };
}

describe('planPlane', () => {
  const [eng] = parsePlaneManifests(ENG);

  it('creates an absent plane with every agent', () => {
    const plan = planPlane(eng!, undefined);
    expect(plan).toMatchObject({ create: true, remove: [], unchanged: [] });
    expect(plan.add.map((a) => a.name)).toEqual(['alice', 'bob']);
    expect(planChanges(plan)).toBe(3);
  });

  it('adds what is missing or failed, removes what the file no longer has, and plans nothing when it matches', () => {
    const plan = planPlane(eng!, live([
      { name: 'alice', owner: 'alice@example.com', machineType: 'e2-medium' },
      { name: 'bob', owner: 'bob@example.com', state: 'Failed' },
      { name: 'zed', owner: 'zed@example.com' },
      { name: 'gone', owner: 'gone@example.com', state: 'Removing' },
    ]));
    expect(plan).toMatchObject({ create: false, unchanged: ['alice'] });
    expect(plan.add.map((a) => a.name)).toEqual(['bob']);
    expect(plan.remove.map((a) => a.name)).toEqual(['zed']);
    const same = planPlane(eng!, live([
      { name: 'alice', owner: 'alice@example.com', machineType: 'e2-medium' },
      { name: 'bob', owner: 'bob@example.com', state: 'Provisioning' },
    ]));
    expect(planChanges(same)).toBe(0);
    expect(renderPlan([same])).toBe('no changes (2 agent(s) already as written)');
  });

  it('refuses an owner change, naming the path', () => {
    const owner = () => planPlane(eng!, live([{ name: 'bob', owner: 'eve@example.com' }]));
    expect(owner).toThrow(InvalidInputError);
    expect(owner).toThrow(/spec\.agents\[1\]\.owner/);
  });

  it('plans a machine type change of a Ready agent as a resize, and refuses it while the agent is not Ready', () => {
    const plan = planPlane(eng!, live([
      { name: 'alice', owner: 'alice@example.com', machineType: 'e2-small' },
      { name: 'bob', owner: 'bob@example.com' },
    ]));
    expect(plan).toMatchObject({ add: [], remove: [], unchanged: ['bob'] });
    expect(plan.change).toEqual([{ name: 'alice', owner: 'alice@example.com', field: 'machineType', from: 'e2-small', to: 'e2-medium' }]);
    expect(planChanges(plan)).toBe(1);
    expect(renderPlan([plan])).toMatch(/change machineType\s+alice\s+alice@example\.com\s+e2-small → e2-medium/);
    const paused = () => planPlane(eng!, live([{ name: 'alice', owner: 'alice@example.com', machineType: 'e2-small', state: 'Paused' }]));
    expect(paused).toThrow(/agent alice of plane .* is Paused; its machine type \(e2-small → e2-medium\) can be changed once it is Ready/);
  });
});
