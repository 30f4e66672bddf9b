/**
 * Monthly cost estimates from the price table in catalog.ts. An estimate, not a bill: on-demand list
 * prices, no sustained-use or committed-use discounts, no egress.
 */
import { MACHINE_TYPES, PRICES } from './catalog.js';

export interface AgentCostInput {
  readonly machineType: string;
  /** A paused agent's VM is stopped: it costs only its disk. */
  readonly paused?: boolean;
}

export interface AgentCost {
  readonly vmUsd: number;
  readonly diskUsd: number;
  readonly natUsd: number;
  readonly totalUsd: number;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export function estimateAgentMonthlyCost(input: AgentCostInput): AgentCost {
  const vm = input.paused ? 0 : (MACHINE_TYPES[input.machineType]?.monthlyUsd ?? 0);
  const disk = PRICES.bootDiskGb * PRICES.balancedDiskGbMonth;
  const nat = input.paused ? 0 : PRICES.natPerVmMonth;
  return { vmUsd: round2(vm), diskUsd: round2(disk), natUsd: round2(nat), totalUsd: round2(vm + disk + nat) };
}
