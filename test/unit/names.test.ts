import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/domain/invalid-input.js';
import {
  parseAgentName,
  parseMachineType,
  parseOwnerEmail,
  parsePlaneName,
  parseProjectId,
  parseRegion,
  parseZone,
} from '../../src/domain/names.js';
import { agentResourceNames, planeResourceNames } from '../../src/domain/resource-names.js';
import { agentLabels, encodeLabelValue } from '../../src/domain/labels.js';
import type { Region } from '../../src/domain/names.js';

function rejects(parse: () => unknown, field: string): InvalidInputError {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).field).toBe(field);
    // One line, naming the field.
    expect((error as Error).message).toMatch(new RegExp(`^invalid ${field.replace(/[-]/g, '\\-')}: `));
    expect((error as Error).message).not.toContain('\n');
    return error as InvalidInputError;
  }
  throw new Error(`expected ${field} to be rejected`);
}

describe('names', () => {
  it('accepts GCP-safe plane and agent names', () => {
    expect(parsePlaneName('eng')).toBe('eng');
    expect(parseAgentName('alice-1')).toBe('alice-1');
  });

  it.each([
    ['', 'is required'],
    ['Eng', 'lowercase'],
    ['1eng', 'start with a lowercase letter'],
    ['eng-', 'not ending with a hyphen'],
    ['en--g', 'two hyphens'],
    ['a'.repeat(21), 'at most 20'],
    ['eng;rm -rf /', 'lowercase'],
    ['$(id)', 'lowercase'],
    ['eng\nx', 'lowercase'],
  ])('rejects plane name %j', (value, rule) => {
    expect(rejects(() => parsePlaneName(value), '--plane').rule).toContain(rule);
  });

  it.each(['alice@example.com', 'Alice.Smith+agents@Sub.Example.CO'])('accepts owner %s (lowercased)', (v) => {
    expect(parseOwnerEmail(v)).toBe(v.toLowerCase());
  });

  it.each(['alice', 'alice@', '@example.com', 'alice@example', 'a b@example.com', 'alice@exa mple.com', 'user:alice@example.com', 'alice@example.com;id', '`id`@example.com', 'a..b@example.com'])(
    'rejects owner %j',
    (v) => {
      rejects(() => parseOwnerEmail(v), '--owner');
    },
  );

  it('validates project, region, zone, machine type against GCP rules and the catalog', () => {
    expect(parseProjectId('acme-agents')).toBe('acme-agents');
    rejects(() => parseProjectId('ab'), '--project');
    rejects(() => parseProjectId('Acme'), '--project');
    expect(parseRegion('europe-west1')).toBe('europe-west1');
    rejects(() => parseRegion('mars-north1'), '--region');
    expect(parseZone('us-central1' as Region, undefined)).toBe('us-central1-a');
    rejects(() => parseZone('us-central1' as Region, 'europe-west1-b'), '--zone');
    expect(parseMachineType('e2-small')).toBe('e2-small');
    rejects(() => parseMachineType('e2-gigantic'), '--vm-type');
  });
});

describe('resource names', () => {
  it('are deterministic and within GCP limits', () => {
    const n = agentResourceNames(parseProjectId('acme-agents'), parsePlaneName('eng'), parseAgentName('alice'));
    expect(n.serviceAccountId).toBe('ap-eng-alice');
    expect(n.serviceAccountEmail).toBe('ap-eng-alice@acme-agents.iam.gserviceaccount.com');
    expect(n.instance).toBe('ap-eng-alice');
    expect(planeResourceNames(parsePlaneName('eng')).network).toBe('ap-eng-vpc');
  });

  it('hashes service account ids that would exceed 30 characters, keeping them unique', () => {
    const project = parseProjectId('acme-agents');
    const plane = parsePlaneName('a'.repeat(20));
    const a = agentResourceNames(project, plane, parseAgentName('b'.repeat(24)));
    const b = agentResourceNames(project, plane, parseAgentName(`${'b'.repeat(23)}c`));
    for (const n of [a, b]) {
      expect(n.serviceAccountId.length).toBeLessThanOrEqual(30);
      expect(n.serviceAccountId).toMatch(/^[a-z]([-a-z0-9]*[a-z0-9])$/);
    }
    expect(a.serviceAccountId).not.toBe(b.serviceAccountId);
  });
});

describe('labels', () => {
  it('encode owners to GCP label rules', () => {
    expect(encodeLabelValue('Alice.Smith@example.com')).toBe('alice_smith_example_com');
    const long = `${'x'.repeat(80)}@example.com`;
    expect(encodeLabelValue(long)).toMatch(/^[a-z0-9_-]{1,63}$/);
    const labels = agentLabels(parsePlaneName('eng'), parseAgentName('alice'), parseOwnerEmail('alice@example.com'));
    for (const [k, v] of Object.entries(labels)) {
      expect(k).toMatch(/^[a-z][a-z0-9_-]{0,62}$/);
      expect(v).toMatch(/^[a-z0-9_-]{0,63}$/);
    }
  });
});
