/**
 * Read-modify-write of an IAM policy with its etag, the only safe way to change a grant: a concurrent
 * writer makes the write fail with 409 ABORTED, and the whole cycle runs again on a fresh read.
 */
import { normalizeGcpError } from './errors.js';

export interface Binding {
  role?: string | null;
  members?: string[] | null;
  condition?: { title?: string | null; description?: string | null; expression?: string | null } | null;
}

export interface Policy {
  version?: number | null;
  etag?: string | Uint8Array | null;
  bindings?: Binding[] | null;
}

export interface Condition {
  readonly title: string;
  readonly expression: string;
}

function sameCondition(b: Binding, condition: Condition | undefined): boolean {
  if (!condition) return !b.condition;
  return b.condition?.expression === condition.expression;
}

/** Adds `member` to `role` (under `condition`); returns false when it was already there. */
export function addMember(policy: Policy, role: string, member: string, condition?: Condition): boolean {
  const bindings = (policy.bindings ??= []);
  let binding = bindings.find((b) => b.role === role && sameCondition(b, condition));
  if (!binding) {
    binding = { role, members: [], ...(condition ? { condition: { ...condition } } : {}) };
    bindings.push(binding);
  }
  const members = (binding.members ??= []);
  if (members.includes(member)) return false;
  members.push(member);
  if (condition) policy.version = 3;
  return true;
}

/** Removes `member` from `role` (any condition); returns false when it was not there. */
export function removeMember(policy: Policy, role: string, member: string): boolean {
  let changed = false;
  for (const b of policy.bindings ?? []) {
    if (b.role !== role || !b.members?.includes(member)) continue;
    b.members = b.members.filter((m) => m !== member);
    changed = true;
  }
  if (changed) policy.bindings = (policy.bindings ?? []).filter((b) => (b.members?.length ?? 0) > 0);
  return changed;
}

export interface PolicyAccess {
  read(): Promise<Policy>;
  write(policy: Policy): Promise<void>;
}

const MAX_ETAG_ROUNDS = 8;

/**
 * Applies `mutate` to the current policy and writes it back when it changed. Etag conflicts re-run the
 * cycle a few times here (they resolve in milliseconds); anything else goes to the caller.
 */
export async function updatePolicy(access: PolicyAccess, mutate: (policy: Policy) => boolean): Promise<boolean> {
  for (let round = 1; ; round++) {
    const policy = await access.read();
    if (!mutate(policy)) return false;
    try {
      await access.write(policy);
      return true;
    } catch (error) {
      const e = normalizeGcpError(error);
      if (e.kind !== 'CONFLICT' || round >= MAX_ETAG_ROUNDS) throw e;
      await new Promise((r) => setTimeout(r, 50 * round + Math.random() * 100));
    }
  }
}

/** The members holding `role` (all conditions), for audits and tests. */
export function membersOf(policy: Policy, role: string): string[] {
  return (policy.bindings ?? []).filter((b) => b.role === role).flatMap((b) => b.members ?? []);
}

