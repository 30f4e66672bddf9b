/** A plane's firewall rules compared field by field with what design §4 prescribes. */
import { describe, expect, it } from 'vitest';
import { firewallDifferences, planeFirewallRules } from '../../src/activities/network.js';
import { parsePlaneSpec } from '../../src/domain/specs.js';

const [denyIngress, denyEgress, iapSsh] = planeFirewallRules(parsePlaneSpec({ name: 'eng', project: 'acme-agents', region: 'us-central1' }));

describe('firewallDifferences', () => {
  it('finds nothing on the rules as built (fields GCP fills in are ignored)', () => {
    expect(firewallDifferences(denyIngress!, { ...denyIngress, disabled: false })).toEqual([]);
    expect(firewallDifferences(denyEgress!, { ...denyEgress })).toEqual([]);
    expect(firewallDifferences(iapSsh!, { ...iapSsh, allowed: [{ IPProtocol: 'tcp', ports: ['22'] }], destinationRanges: ['0.0.0.0/0'] })).toEqual([]);
  });

  it('names each field that differs', () => {
    expect(firewallDifferences(denyIngress!, { ...denyIngress, denied: undefined, allowed: [{ IPProtocol: 'all' }] })).toEqual(['allowed: - → all', 'denied: all → -']);
    expect(firewallDifferences(iapSsh!, { ...iapSsh, sourceRanges: ['0.0.0.0/0'], priority: 100 })).toEqual([
      'priority: 1000 → 100',
      'sourceRanges: 35.235.240.0/20 → 0.0.0.0/0',
    ]);
    expect(firewallDifferences(iapSsh!, { ...iapSsh, allowed: [{ IPProtocol: 'tcp', ports: ['22', '3389'] }] })).toEqual(['allowed: tcp:22 → tcp:22,3389']);
    expect(firewallDifferences(denyEgress!, { ...denyEgress, direction: 'INGRESS', disabled: true })).toEqual([
      'direction: EGRESS → INGRESS',
      'disabled: false → true',
    ]);
  });
});
