/**
 * IAM allow policies, as every GCP resource holds them: the one implementation behind the
 * getIamPolicy/setIamPolicy routes of service accounts, secrets, projects and IAP tunnel instances.
 *
 * H2: compute instances can use it too (policyRoutes, or storePolicy/renderPolicy/requestedPolicyVersion,
 * with a PolicyRules of the roles grantable on an instance, e.g. roles/compute.osLogin).
 *
 * What it holds to (GCP's documented behaviour):
 * - an untouched policy reads as `{ etag: "ACAB" }`; every write gets a new etag; a write carrying an
 *   etag that is not the current one fails 409 ABORTED, a write without an etag overwrites;
 * - policy versions 0, 1 and 3 only; a conditional binding needs version 3; reading a policy with
 *   conditions at version < 3 shows each conditional role as `<role>_withcond_<hash>` without its
 *   condition, and such a role cannot be written back; a version < 3 write with an etag onto a policy
 *   with conditions fails (it would silently drop them);
 * - members are `user:`, `group:`, `serviceAccount:` (an email), `domain:`, `allUsers`,
 *   `allAuthenticatedUsers`, `deleted:...?uid=`, `principal://`, `principalSet://`; a user-managed
 *   service account must exist and be visible (eventual consistency) or the write fails 400;
 * - roles must be grantable on the resource type; basic roles and public members take no condition;
 * - at most 1,500 principals per policy; bindings merge by role and condition, members are
 *   de-duplicated and sorted, empty bindings vanish.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { EmulatorServices, IamBinding, IamPolicy, Route, RouteRequest, ServiceContext } from '../core/contract.js';
import { concurrentPolicyChange, invalidArgument } from './api-errors.js';

/** GCP's etag of a policy nobody has written yet. */
export const UNTOUCHED_POLICY_ETAG = 'ACAB';

const MAX_PRINCIPALS = 1500;
const VALID_VERSIONS = new Set([0, 1, 3]);
const BASIC_ROLES = new Set(['roles/owner', 'roles/editor', 'roles/viewer']);
const PUBLIC_MEMBERS = new Set(['allUsers', 'allAuthenticatedUsers']);
const WITHCOND = '_withcond_';

/** What a resource type accepts in its policy. */
export interface PolicyRules {
  /** Roles that can be granted on this resource type; anything else is "not supported for this resource". */
  readonly grantableRoles: ReadonlySet<string>;
  /** Only projects (and folders, organisations) carry audit configs. */
  readonly auditConfigs?: boolean;
}

/** A written policy as a module stores it (JSON-serialisable for the state file). */
export interface StoredPolicy {
  readonly etag: string;
  readonly bindings: readonly IamBinding[];
  readonly auditConfigs?: readonly unknown[];
}

/** The subset of EmulatorServices policy validation needs. */
export type MemberDirectory = Pick<EmulatorServices, 'serviceAccountVisible'>;

function newEtag(): string {
  // Real etags are 8 bytes, base64, starting "Bw"; random keeps every write distinct.
  const bytes = randomBytes(8);
  bytes[0] = 0x07;
  return bytes.toString('base64');
}

function sameEtag(a: string, b: string): boolean {
  return Buffer.from(a, 'base64').equals(Buffer.from(b, 'base64'));
}

function hasConditions(bindings: readonly IamBinding[]): boolean {
  return bindings.some((b) => b.condition !== undefined);
}

function conditionKey(c: IamBinding['condition']): string {
  return c ? JSON.stringify([c.expression, c.title ?? '', c.description ?? '']) : '';
}

/**
 * The version a getIamPolicy asks for: `options.requestedPolicyVersion` in the query (GET and the
 * discovery-based clients) or in the body (gax POST routes). Absent means 0.
 */
export function requestedPolicyVersion(req: Pick<RouteRequest, 'query' | 'body'>): number {
  const fromQuery = req.query.get('options.requestedPolicyVersion');
  const fromBody = (req.body as { options?: { requestedPolicyVersion?: unknown } } | undefined)?.options?.requestedPolicyVersion;
  const raw = fromQuery ?? fromBody ?? 0;
  const version = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isInteger(version) || !VALID_VERSIONS.has(version)) {
    throw invalidArgument(`Invalid requested policy version: ${String(raw)}. Valid values are 0, 1 and 3.`, 'options.requested_policy_version');
  }
  return version;
}

/** The policy as getIamPolicy/setIamPolicy answer it, formatted for `requestedVersion`. */
export function renderPolicy(stored: StoredPolicy | undefined, requestedVersion: number): IamPolicy & { auditConfigs?: unknown[] } {
  if (!stored) return { etag: UNTOUCHED_POLICY_ETAG };
  const conditional = hasConditions(stored.bindings);
  const downgrade = conditional && requestedVersion < 3;
  const bindings = stored.bindings.map((b): IamBinding => {
    if (!b.condition) return { role: b.role, members: [...b.members] };
    if (downgrade) {
      const hash = createHash('sha256').update(conditionKey(b.condition)).digest('hex').slice(0, 20);
      return { role: `${b.role}${WITHCOND}${hash}`, members: [...b.members] };
    }
    return { role: b.role, members: [...b.members], condition: { ...b.condition } };
  });
  return {
    version: conditional && !downgrade ? 3 : 1,
    etag: stored.etag,
    ...(bindings.length ? { bindings } : {}),
    ...(stored.auditConfigs?.length ? { auditConfigs: structuredClone([...stored.auditConfigs]) } : {}),
  };
}

/** The full (version 3) view for `GET /__emulator/inventory`; undefined when nothing is granted. */
export function inventoryPolicy(stored: StoredPolicy | undefined): IamPolicy | undefined {
  if (!stored || stored.bindings.length === 0) return undefined;
  return renderPolicy(stored, 3);
}

/**
 * True when `member` holds `role` unconditionally. Conditional grants are not evaluated (the emulator
 * has no request context for CEL), so they never count: the safe answer for an access check.
 */
export function holdsRole(stored: StoredPolicy | undefined, role: string, member: string): boolean {
  return (stored?.bindings ?? []).some((b) => b.role === role && !b.condition && b.members.includes(member));
}

const EMAIL = /^[^@\s:]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/i;
const DOMAIN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/i;
/** `<account>@<project>.iam.gserviceaccount.com`, excluding Google-managed `gcp-sa-*` service agents. */
const USER_MANAGED_SA = /^[a-z][-a-z0-9]{4,28}[a-z0-9]@(?!gcp-sa-)[a-z][-a-z0-9]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$/;

const MEMBER_FORM = 'Policy members must be of the form "<type>:<value>".';

function validateMember(member: string, directory: MemberDirectory): void {
  if (PUBLIC_MEMBERS.has(member)) return;
  if (member.startsWith('principal://') || member.startsWith('principalSet://')) {
    if (member.length > 'principalSet://'.length) return;
    throw invalidArgument(MEMBER_FORM, 'policy.bindings.members');
  }
  const colon = member.indexOf(':');
  if (colon <= 0) throw invalidArgument(MEMBER_FORM, 'policy.bindings.members');
  const type = member.slice(0, colon);
  const value = member.slice(colon + 1);
  switch (type) {
    case 'user':
    case 'group':
      if (!EMAIL.test(value)) throw invalidArgument(`Invalid member: ${member}.`, 'policy.bindings.members');
      return;
    case 'domain':
      if (!DOMAIN.test(value)) throw invalidArgument(`Invalid member: ${member}.`, 'policy.bindings.members');
      return;
    case 'serviceAccount':
      if (!EMAIL.test(value)) throw invalidArgument(`Invalid member: ${member}.`, 'policy.bindings.members');
      // Google-managed accounts (compute default, service agents) always exist; user-managed ones must be
      // created and have become visible, or GCP refuses the policy.
      if (USER_MANAGED_SA.test(value) && !directory.serviceAccountVisible(value)) {
        throw invalidArgument(`Service account ${value} does not exist.`, 'policy.bindings.members');
      }
      return;
    case 'deleted': {
      // deleted:user:x@y?uid=123, kept by GCP when the principal is gone.
      const m = /^(user|group|serviceAccount):([^?]+)\?uid=\d+$/.exec(value);
      if (!m || !EMAIL.test(m[2]!)) throw invalidArgument(`Invalid member: ${member}.`, 'policy.bindings.members');
      return;
    }
    default:
      throw invalidArgument(MEMBER_FORM, 'policy.bindings.members');
  }
}

/** Balanced parentheses and closed string literals: enough to reject what CEL cannot parse at a glance. */
function plausibleCel(expression: string): boolean {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < expression.length; i++) {
    const ch = expression[i]!;
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return false;
  }
  return depth === 0 && quote === undefined;
}

function validateCondition(binding: IamBinding, version: number): void {
  const c = binding.condition!;
  if (version !== 3) {
    throw invalidArgument(
      `Binding for role ${binding.role} has a condition, which requires policy version 3 (got ${version}).`,
      'policy.version',
    );
  }
  if (!c.expression?.trim()) throw invalidArgument('Condition expression must not be empty.', 'policy.bindings.condition.expression');
  if (!plausibleCel(c.expression)) {
    throw invalidArgument(`Condition expression could not be parsed: ${c.expression}`, 'policy.bindings.condition.expression');
  }
  if (!c.title?.trim()) throw invalidArgument('Condition title must not be empty.', 'policy.bindings.condition.title');
  if (c.title.length > 100) throw invalidArgument('Condition title must be at most 100 characters.', 'policy.bindings.condition.title');
  if ((c.description ?? '').length > 256) {
    throw invalidArgument('Condition description must be at most 256 characters.', 'policy.bindings.condition.description');
  }
  if (BASIC_ROLES.has(binding.role)) throw invalidArgument(`Conditions are not supported for basic role ${binding.role}.`, 'policy.bindings.condition');
  const open = binding.members.find((m) => PUBLIC_MEMBERS.has(m));
  if (open) throw invalidArgument(`Conditions are not supported for member ${open}.`, 'policy.bindings.condition');
}

interface PolicyInput {
  version?: number;
  etag?: string;
  bindings?: { role?: string; members?: string[]; condition?: { expression?: string; title?: string; description?: string; location?: string } }[];
  auditConfigs?: unknown[];
}

const MASK_PATHS = new Set(['bindings', 'etag', 'version', 'auditConfigs', 'audit_configs']);

function updateMask(body: { updateMask?: unknown }): Set<string> {
  if (typeof body.updateMask !== 'string' || body.updateMask.trim() === '') return new Set(['bindings', 'etag']);
  const paths = body.updateMask.split(',').map((p) => p.trim()).filter(Boolean);
  for (const p of paths) {
    if (!MASK_PATHS.has(p)) throw invalidArgument(`Invalid update_mask path: ${p}.`, 'update_mask');
  }
  return new Set(paths.map((p) => (p === 'audit_configs' ? 'auditConfigs' : p)));
}

/**
 * Applies a SetIamPolicyRequest body (`{ policy, updateMask? }`) to `current`; returns the policy to
 * store (with a fresh etag) or throws the ApiError GCP would answer.
 */
export function storePolicy(current: StoredPolicy | undefined, body: unknown, rules: PolicyRules, directory: MemberDirectory): StoredPolicy {
  const request = (body ?? {}) as { policy?: PolicyInput; updateMask?: unknown };
  const input = request.policy;
  if (!input || typeof input !== 'object') throw invalidArgument('Request is missing required field policy.', 'policy');
  const mask = updateMask(request);
  const currentEtag = current?.etag ?? UNTOUCHED_POLICY_ETAG;
  if (input.etag && !sameEtag(input.etag, currentEtag)) throw concurrentPolicyChange();

  const version = input.version ?? 0;
  if (!VALID_VERSIONS.has(version)) throw invalidArgument(`Invalid policy version: ${version}. Valid values are 0, 1 and 3.`, 'policy.version');
  if (input.etag && version < 3 && current && hasConditions(current.bindings)) {
    throw invalidArgument(
      `Specified policy version (${version}) cannot be less than the existing policy version (3). ` +
        'For more information, please refer to https://cloud.google.com/iam/docs/policies#versions.',
      'policy.version',
    );
  }

  let bindings: IamBinding[] = current ? structuredClone([...current.bindings]) : [];
  if (mask.has('bindings')) {
    const merged = new Map<string, IamBinding>();
    for (const raw of input.bindings ?? []) {
      const role = raw.role ?? '';
      if (!role) throw invalidArgument('Binding role must not be empty.', 'policy.bindings.role');
      if (role.includes(WITHCOND) || !rules.grantableRoles.has(role)) {
        throw invalidArgument(`Role ${role} is not supported for this resource.`, 'policy.bindings.role');
      }
      const members = raw.members ?? [];
      for (const m of members) validateMember(m, directory);
      const condition = raw.condition && (raw.condition.expression || raw.condition.title || raw.condition.description)
        ? {
            expression: raw.condition.expression ?? '',
            ...(raw.condition.title !== undefined ? { title: raw.condition.title } : {}),
            ...(raw.condition.description ? { description: raw.condition.description } : {}),
          }
        : undefined;
      const binding: IamBinding = { role, members, ...(condition ? { condition } : {}) };
      if (condition) validateCondition(binding, version);
      const key = `${role}\u0000${conditionKey(condition)}`;
      const existing = merged.get(key);
      if (existing) existing.members.push(...members);
      else merged.set(key, { ...binding, members: [...members] });
    }
    bindings = [...merged.values()]
      .map((b) => ({ ...b, members: [...new Set(b.members)].sort() }))
      .filter((b) => b.members.length > 0)
      .sort((a, b) => a.role.localeCompare(b.role) || conditionKey(a.condition).localeCompare(conditionKey(b.condition)));
  }
  const principals = bindings.reduce((n, b) => n + b.members.length, 0);
  if (principals > MAX_PRINCIPALS) {
    throw invalidArgument(
      `The number of members in the policy (${principals}) is larger than the maximum allowed size ${MAX_PRINCIPALS}.`,
      'policy.bindings',
    );
  }

  let auditConfigs = current?.auditConfigs;
  if (mask.has('auditConfigs')) {
    if (!rules.auditConfigs && (input.auditConfigs?.length ?? 0) > 0) {
      throw invalidArgument('Audit configs are not supported for this resource.', 'policy.audit_configs');
    }
    auditConfigs = structuredClone(input.auditConfigs ?? []);
  }

  return { etag: newEtag(), bindings, ...(auditConfigs?.length ? { auditConfigs } : {}) };
}

/** Where a resource keeps its policy: read it, and store a new one (the holder calls markDirty). */
export interface PolicyHolder {
  readonly policy: StoredPolicy | undefined;
  save(policy: StoredPolicy): void;
}

export interface PolicyRouteSpec {
  /** The resource's path, without the verb, e.g. `/v1/projects/{project}/secrets/{secret}`. */
  readonly path: string;
  /** Method ids are `<idPrefix>.getIamPolicy` and `<idPrefix>.setIamPolicy`. */
  readonly idPrefix: string;
  /** getIamPolicy is a GET on Secret Manager, a POST elsewhere. */
  readonly getMethod: 'GET' | 'POST';
  /** How getIamPolicy's body (if any) is checked. */
  readonly getBody: Pick<Route, 'bodyType' | 'validate'>;
  readonly rules: PolicyRules;
  /** The resource's policy holder; throws the resource's own 404/403 when it is not there. */
  holder(req: RouteRequest, verb: 'getIamPolicy' | 'setIamPolicy'): PolicyHolder;
}

/**
 * The getIamPolicy/setIamPolicy pair every resource answers the same way: read at the requested
 * version; write through storePolicy and answer the stored policy at version 3.
 */
export function policyRoutes(spec: PolicyRouteSpec, ctx: Pick<ServiceContext, 'services'>): Route[] {
  return [
    {
      method: spec.getMethod,
      path: `${spec.path}:getIamPolicy`,
      id: `${spec.idPrefix}.getIamPolicy`,
      ...spec.getBody,
      handle(req) {
        return { body: renderPolicy(spec.holder(req, 'getIamPolicy').policy, requestedPolicyVersion(req)) };
      },
    },
    {
      method: 'POST',
      path: `${spec.path}:setIamPolicy`,
      id: `${spec.idPrefix}.setIamPolicy`,
      bodyType: 'google.iam.v1.SetIamPolicyRequest',
      handle(req) {
        const holder = spec.holder(req, 'setIamPolicy');
        const policy = storePolicy(holder.policy, req.body, spec.rules, ctx.services);
        holder.save(policy);
        return { body: renderPolicy(policy, 3) };
      },
    },
  ];
}
