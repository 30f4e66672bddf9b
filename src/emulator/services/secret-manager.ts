/**
 * Secret Manager (secretmanager.googleapis.com/v1), as `@google-cloud/secret-manager` calls it over
 * REST: secrets with labels, annotations, replication and an IAM policy; versions numbered from 1
 * with states ENABLED / DISABLED / DESTROYED and the `latest` alias.
 *
 * GCP behaviour held to:
 * - names in answers carry the project number (`projects/<number>/secrets/<id>`); requests may use
 *   the project id or number;
 * - a duplicate create → 409 "Secret [projects/N/secrets/s] already exists."; a missing secret or
 *   version → 404 in GCP's words; accessing a DISABLED or DESTROYED version → 400 FAILED_PRECONDITION
 *   "Secret Version [...] is in DISABLED state."; `latest` is the newest version whatever its state;
 * - payloads of at most 64 KiB; a `dataCrc32c` sent with addVersion must match; access answers the
 *   payload with its CRC32C; destroy erases the payload;
 * - addVersion at most 2 per second per secret (429 RESOURCE_EXHAUSTED), in emulated time;
 * - `enum-encoding=int` (what gax asks for): enums are answered as numbers.
 *
 * Payloads live only in this module's state (and the state file). They never appear in inventory
 * rows, logs or error messages; the guest simulator reads them in-process through readSecretForGuest,
 * which checks the reader's grant like Secret Manager would.
 */
import { randomBytes } from 'node:crypto';
import type { InventoryResource, Route, RouteRequest, ServiceContext, ServiceFactory, ServiceModule } from '../core/contract.js';
import { ApiError } from '../core/contract.js';
import { alreadyExists, failedPrecondition, invalidArgument, notFound, permissionDenied, resourceExhausted } from './api-errors.js';
import { holdsRole, inventoryPolicy, policyRoutes, type PolicyRules, type StoredPolicy } from './iam-policy.js';
import { pageOf } from './list-page.js';
import { projectNumberOf, resolveProjectId } from './project-number.js';
import { crc32c } from './secret-manager/crc32c.js';
import { compileFilter } from './secret-manager/list-filter.js';
import {
  replicationStatus,
  validateAnnotations,
  validateLabels,
  validateReplication,
  validateSecretId,
  type Replication,
} from './secret-manager/secret-fields.js';

const MAX_PAYLOAD_BYTES = 64 * 1024;
/** Secret Manager pages: the server decides when asked for 0 (all, up to the 25,000 cap). */
const LIST_PAGES = { defaultSize: 25_000, maxSize: 25_000 } as const;
/** Secret Manager's per-secret rate for addVersion. */
const ADD_VERSION_PER_SECOND = 2;

type VersionState = 'ENABLED' | 'DISABLED' | 'DESTROYED';
const STATE_NUMBERS: Readonly<Record<VersionState, number>> = { ENABLED: 1, DISABLED: 2, DESTROYED: 3 };

/** Roles that carry secretmanager.versions.access. */
const ACCESS_ROLES = ['roles/secretmanager.secretAccessor', 'roles/secretmanager.admin', 'roles/owner'];

const SECRET_POLICY: PolicyRules = {
  grantableRoles: new Set([
    'roles/owner',
    'roles/editor',
    'roles/viewer',
    'roles/secretmanager.admin',
    'roles/secretmanager.secretAccessor',
    'roles/secretmanager.secretVersionAdder',
    'roles/secretmanager.secretVersionManager',
    'roles/secretmanager.viewer',
  ]),
};

/** Secret fields a caller sets and reads back as given (beyond the validated ones). */
const PASSTHROUGH_FIELDS = ['topics', 'expireTime', 'rotation', 'versionDestroyTtl', 'customerManagedEncryption', 'tags', 'secretType'] as const;
/** update_mask paths (camelCase or snake_case) that PATCH may change. */
const UPDATABLE = new Set(['labels', 'annotations', 'versionAliases', 'ttl', ...PASSTHROUGH_FIELDS.filter((f) => f !== 'tags' && f !== 'secretType')]);

interface VersionRecord {
  version: number;
  createTime: string;
  state: VersionState;
  destroyTime?: string;
  etag: string;
  clientSpecifiedPayloadChecksum: boolean;
  /** Base64; removed when the version is destroyed. */
  payload?: string;
}

interface SecretRecord {
  projectId: string;
  secretId: string;
  createTime: string;
  etag: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  replication: Replication;
  versionAliases: Record<string, number>;
  /** The PASSTHROUGH_FIELDS the caller set. */
  extra: Record<string, unknown>;
  policy?: StoredPolicy;
  versions: VersionRecord[];
}

interface SecretManagerState {
  secrets: SecretRecord[];
}

type SecretBody = {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  replication?: Replication;
  versionAliases?: Record<string, string | number>;
  ttl?: string;
  etag?: string;
} & Partial<Record<(typeof PASSTHROUGH_FIELDS)[number], unknown>>;

function newEtag(): string {
  return `"${randomBytes(7).toString('hex')}"`;
}

function camel(path: string): string {
  return path.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function durationMs(ttl: string): number {
  const m = /^(\d+(?:\.\d+)?)s$/.exec(ttl);
  if (!m) throw invalidArgument(`Invalid duration [${ttl}].`, 'secret.ttl');
  return Number(m[1]) * 1000;
}

/** gax asks `$alt=json;enum-encoding=int` and then expects enums as numbers. */
function numericEnums(req: RouteRequest): boolean {
  return (req.query.get('$alt') ?? '').includes('enum-encoding=int');
}

export const createSecretManagerService: ServiceFactory = (ctx: ServiceContext): ServiceModule => {
  /** By `${projectId}/${secretId}`. */
  const secrets = new Map<string, SecretRecord>();
  /** addVersion calls in the current one-second window, per secret; not persisted (a rate, not state). */
  const recentAdds = new Map<string, number>();
  let generation = 0;

  const now = () => new Date(ctx.clock.now()).toISOString();
  const key = (projectId: string, secretId: string) => `${projectId}/${secretId}`;
  const knownProjects = () => new Set([...secrets.values()].map((s) => s.projectId));
  const apiName = (s: SecretRecord) => `projects/${projectNumberOf(s.projectId)}/secrets/${s.secretId}`;
  const versionName = (s: SecretRecord, v: VersionRecord) => `${apiName(s)}/versions/${v.version}`;

  /** How GCP spells a secret in messages about a request path: the number when the project resolves. */
  function requestedName(req: RouteRequest): string {
    const projectId = resolveProjectId(req.params.project!, knownProjects());
    return `projects/${projectId ? projectNumberOf(projectId) : req.params.project}/secrets/${req.params.secret}`;
  }

  function findSecret(req: RouteRequest): SecretRecord | undefined {
    const projectId = resolveProjectId(req.params.project!, knownProjects());
    return projectId ? secrets.get(key(projectId, req.params.secret!)) : undefined;
  }

  function secretOf(req: RouteRequest): SecretRecord {
    const found = findSecret(req);
    if (!found) throw notFound(`Secret [${requestedName(req)}] not found.`, requestedName(req));
    return found;
  }

  function versionOf(req: RouteRequest): { secret: SecretRecord; version: VersionRecord } {
    const secret = findSecret(req);
    const wanted = req.params.version!;
    if (!secret) {
      const message = wanted === 'latest' ? `Secret [${requestedName(req)}] not found or has no versions.` : `Secret [${requestedName(req)}] not found.`;
      throw notFound(message, requestedName(req));
    }
    let number: number | undefined;
    if (wanted === 'latest') {
      number = secret.versions.length || undefined;
      if (number === undefined) throw notFound(`Secret [${apiName(secret)}] not found or has no versions.`, apiName(secret));
    } else if (/^[1-9]\d*$/.test(wanted)) {
      number = Number(wanted);
    } else {
      number = secret.versionAliases[wanted];
    }
    const version = number === undefined ? undefined : secret.versions[number - 1];
    if (!version) throw notFound(`Secret Version [${apiName(secret)}/versions/${wanted}] not found.`, `${apiName(secret)}/versions/${wanted}`);
    return { secret, version };
  }

  function checkEtag(given: string | undefined | null, current: string, what: string): void {
    if (given && given !== current) {
      throw new ApiError(409, 'ABORTED', `The etag provided in the request does not match the current etag of the ${what}.`, 'aborted');
    }
  }

  function renderSecret(s: SecretRecord) {
    const aliases = Object.entries(s.versionAliases);
    return {
      name: apiName(s),
      replication: s.replication,
      createTime: s.createTime,
      ...(Object.keys(s.labels).length ? { labels: s.labels } : {}),
      etag: s.etag,
      ...(Object.keys(s.annotations).length ? { annotations: s.annotations } : {}),
      // int64 map values travel as strings in proto3 JSON.
      ...(aliases.length ? { versionAliases: Object.fromEntries(aliases.map(([a, v]) => [a, String(v)])) } : {}),
      ...s.extra,
    };
  }

  function renderVersion(s: SecretRecord, v: VersionRecord, numeric: boolean) {
    return {
      name: versionName(s, v),
      createTime: v.createTime,
      ...(v.destroyTime ? { destroyTime: v.destroyTime } : {}),
      state: numeric ? STATE_NUMBERS[v.state] : v.state,
      replicationStatus: replicationStatus(s.replication),
      etag: v.etag,
      clientSpecifiedPayloadChecksum: v.clientSpecifiedPayloadChecksum,
    };
  }

  function validateAliases(s: SecretRecord, aliases: Record<string, string | number> | undefined): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [alias, raw] of Object.entries(aliases ?? {})) {
      if (!/^[a-zA-Z_-][a-zA-Z0-9_-]{0,62}$/.test(alias) || alias === 'latest') {
        throw invalidArgument(`Version alias [${alias}] is invalid.`, 'secret.version_aliases');
      }
      const n = Number(raw);
      const v = s.versions[n - 1];
      if (!v || v.state === 'DESTROYED') {
        throw invalidArgument(`Version alias [${alias}] refers to version ${String(raw)}, which does not exist or is destroyed.`, 'secret.version_aliases');
      }
      out[alias] = n;
    }
    return out;
  }

  function passthrough(body: SecretBody): Record<string, unknown> {
    const extra: Record<string, unknown> = {};
    for (const f of PASSTHROUGH_FIELDS) {
      const value = body[f];
      // gax sends every map field, empty or not; an empty map is an unset field in proto3.
      const empty = value === undefined || value === null || (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0);
      if (!empty) extra[f] = structuredClone(value);
    }
    if (body.ttl) extra.expireTime = new Date(ctx.clock.now() + durationMs(body.ttl)).toISOString();
    return extra;
  }

  /** Rotation notifications go to Pub/Sub: a rotation schedule without a topic is refused. */
  function checkRotation(extra: Record<string, unknown>): Record<string, unknown> {
    if (extra.rotation && !(Array.isArray(extra.topics) && extra.topics.length)) {
      throw invalidArgument('A secret with a rotation schedule needs at least one topic.', 'secret.topics');
    }
    return extra;
  }

  function countAdd(s: SecretRecord): void {
    if (ctx.config.latencyScale <= 0) return;
    const k = key(s.projectId, s.secretId);
    const inWindow = recentAdds.get(k) ?? 0;
    if (inWindow >= ADD_VERSION_PER_SECOND) {
      const consumer = `project_number:${projectNumberOf(s.projectId)}`;
      throw resourceExhausted(
        `Quota exceeded for quota metric 'Secret version adds' and limit 'Secret version adds per second per secret' of service 'secretmanager.googleapis.com' for consumer '${consumer}'.`,
        1,
        {
          reason: 'RATE_LIMIT_EXCEEDED',
          domain: 'googleapis.com',
          metadata: { service: 'secretmanager.googleapis.com', consumer, quota_limit: 'AddVersionRequestsPerSecondPerSecret' },
        },
      );
    }
    recentAdds.set(k, inWindow + 1);
    const started = generation;
    void ctx.clock.sleep(1000).then(() => {
      if (started !== generation) return;
      const left = (recentAdds.get(k) ?? 1) - 1;
      if (left > 0) recentAdds.set(k, left);
      else recentAdds.delete(k);
    });
  }

  function setVersionState(req: RouteRequest, target: VersionState): { body: unknown } {
    const { secret, version } = versionOf(req);
    checkEtag((req.body as { etag?: string } | undefined)?.etag, version.etag, 'secret version');
    if (version.state === 'DESTROYED') throw failedPrecondition(`Secret Version [${versionName(secret, version)}] is in DESTROYED state.`);
    if (version.state !== target) {
      version.state = target;
      version.etag = newEtag();
      if (target === 'DESTROYED') {
        version.destroyTime = now();
        delete version.payload;
        for (const [alias, n] of Object.entries(secret.versionAliases)) if (n === version.version) delete secret.versionAliases[alias];
      }
      ctx.markDirty();
    }
    return { body: renderVersion(secret, version, numericEnums(req)) };
  }

  function guestReadable(secretName: string, member: string): SecretRecord | undefined {
    const m = /^projects\/([^/]+)\/secrets\/([^/]+)$/.exec(secretName);
    if (!m) return undefined;
    const projectId = resolveProjectId(m[1]!, knownProjects());
    const secret = projectId ? secrets.get(key(projectId, m[2]!)) : undefined;
    if (!secret || !ACCESS_ROLES.some((role) => holdsRole(secret.policy, role, member))) return undefined;
    // A deleted (or not yet visible) service account authenticates as nobody.
    if (member.startsWith('serviceAccount:') && !ctx.services.serviceAccountVisible(member.slice('serviceAccount:'.length))) return undefined;
    return secret;
  }

  const base = '/v1/projects/{project}/secrets';
  const versions = `${base}/{secret}/versions`;
  const routes: Route[] = [
    {
      method: 'POST',
      path: base,
      id: 'secretmanager.secrets.create',
      bodyType: 'google.cloud.secretmanager.v1.Secret',
      bodyName: 'secret',
      handle(req) {
        const projectId = resolveProjectId(req.params.project!, knownProjects());
        if (!projectId) {
          throw permissionDenied(`Permission 'secretmanager.secrets.create' denied for resource 'projects/${req.params.project}' (or it may not exist).`);
        }
        const secretId = validateSecretId(req.query.get('secretId'));
        const body = (req.body ?? {}) as SecretBody;
        const record: SecretRecord = {
          projectId,
          secretId,
          createTime: now(),
          etag: newEtag(),
          labels: validateLabels(body.labels),
          annotations: validateAnnotations(body.annotations),
          replication: validateReplication(body.replication),
          versionAliases: {},
          extra: checkRotation(passthrough(body)),
          versions: [],
        };
        if (Object.keys(body.versionAliases ?? {}).length) validateAliases(record, body.versionAliases);
        if (secrets.has(key(projectId, secretId))) {
          throw alreadyExists(`Secret [${apiName(record)}] already exists.`, apiName(record));
        }
        secrets.set(key(projectId, secretId), record);
        ctx.markDirty();
        return { body: renderSecret(record) };
      },
    },
    {
      method: 'GET',
      path: base,
      id: 'secretmanager.secrets.list',
      handle(req) {
        const projectId = resolveProjectId(req.params.project!, knownProjects());
        const matches = compileFilter(req.query.get('filter'), ['name', 'labels', 'create_time']);
        const all = [...secrets.values()]
          .filter((s) => s.projectId === projectId)
          .filter((s) => matches({ name: s.secretId, labels: s.labels, createTime: s.createTime }))
          .sort((a, b) => a.secretId.localeCompare(b.secretId));
        return { body: listAnswer(req, all, 'secrets', renderSecret) };
      },
    },
    {
      method: 'GET',
      path: `${base}/{secret}`,
      id: 'secretmanager.secrets.get',
      handle(req) {
        return { body: renderSecret(secretOf(req)) };
      },
    },
    {
      method: 'PATCH',
      path: `${base}/{secret}`,
      id: 'secretmanager.secrets.patch',
      bodyType: 'google.cloud.secretmanager.v1.Secret',
      bodyName: 'secret',
      handle(req) {
        const secret = secretOf(req);
        const body = (req.body ?? {}) as SecretBody;
        checkEtag(body.etag, secret.etag, 'secret');
        const paths = (req.query.get('updateMask') ?? '').split(',').map((p) => camel(p.trim())).filter(Boolean);
        if (paths.length === 0) throw invalidArgument('Field [update_mask] is required.', 'update_mask');
        for (const p of paths) if (!UPDATABLE.has(p)) throw invalidArgument(`Invalid update_mask path: ${p}.`, 'update_mask');
        // Validate everything first, then apply: a failed update changes nothing.
        const labels = paths.includes('labels') ? validateLabels(body.labels) : secret.labels;
        const annotations = paths.includes('annotations') ? validateAnnotations(body.annotations) : secret.annotations;
        const versionAliases = paths.includes('versionAliases') ? validateAliases(secret, body.versionAliases) : secret.versionAliases;
        const given = passthrough(body);
        const extra = { ...secret.extra };
        for (const p of paths) {
          const field = p === 'ttl' ? 'expireTime' : p;
          if (field === 'labels' || field === 'annotations' || field === 'versionAliases') continue;
          if (given[field] === undefined) delete extra[field];
          else extra[field] = given[field];
        }
        checkRotation(extra);
        Object.assign(secret, { labels, annotations, versionAliases, extra, etag: newEtag() });
        ctx.markDirty();
        return { body: renderSecret(secret) };
      },
    },
    {
      method: 'DELETE',
      path: `${base}/{secret}`,
      id: 'secretmanager.secrets.delete',
      handle(req) {
        const secret = secretOf(req);
        checkEtag(req.query.get('etag'), secret.etag, 'secret');
        secrets.delete(key(secret.projectId, secret.secretId));
        recentAdds.delete(key(secret.projectId, secret.secretId));
        ctx.markDirty();
        return { body: {} };
      },
    },
    ...policyRoutes(
      {
        path: `${base}/{secret}`,
        idPrefix: 'secretmanager.secrets',
        getMethod: 'GET',
        getBody: {},
        rules: SECRET_POLICY,
        holder(req) {
          const secret = secretOf(req);
          return {
            policy: secret.policy,
            save: (policy) => {
              secret.policy = policy;
              ctx.markDirty();
            },
          };
        },
      },
      ctx,
    ),
    {
      method: 'POST',
      path: `${base}/{secret}:addVersion`,
      id: 'secretmanager.versions.add',
      bodyType: 'google.cloud.secretmanager.v1.AddSecretVersionRequest',
      handle(req) {
        const secret = secretOf(req);
        const payload = (req.body as { payload?: { data?: string; dataCrc32c?: string | number } } | undefined)?.payload;
        if (!payload) throw invalidArgument('Field [payload] is required.', 'payload');
        const data = Buffer.from(payload.data ?? '', 'base64');
        if (data.length > MAX_PAYLOAD_BYTES) {
          throw invalidArgument(`Secret payload is ${data.length} bytes; the maximum is ${MAX_PAYLOAD_BYTES} bytes (64 KiB).`, 'payload.data');
        }
        const checksum = payload.dataCrc32c !== undefined && payload.dataCrc32c !== null;
        if (checksum && Number(payload.dataCrc32c) !== crc32c(data)) {
          throw invalidArgument('Data integrity check failed: the payload does not match payload.data_crc32c.', 'payload.data_crc32c');
        }
        countAdd(secret);
        const version: VersionRecord = {
          version: secret.versions.length + 1,
          createTime: now(),
          state: 'ENABLED',
          etag: newEtag(),
          clientSpecifiedPayloadChecksum: checksum,
          payload: data.toString('base64'),
        };
        secret.versions.push(version);
        ctx.markDirty();
        return { body: renderVersion(secret, version, numericEnums(req)) };
      },
    },
    {
      method: 'GET',
      path: versions,
      id: 'secretmanager.versions.list',
      handle(req) {
        const secret = secretOf(req);
        const matches = compileFilter(req.query.get('filter'), ['name', 'state', 'create_time']);
        const numeric = numericEnums(req);
        // Newest first, as Secret Manager lists them.
        const all = [...secret.versions]
          .reverse()
          .filter((v) => matches({ name: String(v.version), state: v.state, createTime: v.createTime }));
        return { body: listAnswer(req, all, 'versions', (v) => renderVersion(secret, v, numeric)) };
      },
    },
    {
      method: 'GET',
      path: `${versions}/{version}`,
      id: 'secretmanager.versions.get',
      handle(req) {
        const { secret, version } = versionOf(req);
        return { body: renderVersion(secret, version, numericEnums(req)) };
      },
    },
    {
      method: 'GET',
      path: `${versions}/{version}:access`,
      id: 'secretmanager.versions.access',
      handle(req) {
        const { secret, version } = versionOf(req);
        if (version.state !== 'ENABLED' || version.payload === undefined) {
          throw failedPrecondition(`Secret Version [${versionName(secret, version)}] is in ${version.state} state.`);
        }
        const data = Buffer.from(version.payload, 'base64');
        // int64 travels as a string in proto3 JSON.
        return { body: { name: versionName(secret, version), payload: { data: version.payload, dataCrc32c: String(crc32c(data)) } } };
      },
    },
    {
      method: 'POST',
      path: `${versions}/{version}:disable`,
      id: 'secretmanager.versions.disable',
      bodyType: 'google.cloud.secretmanager.v1.DisableSecretVersionRequest',
      handle: (req) => setVersionState(req, 'DISABLED'),
    },
    {
      method: 'POST',
      path: `${versions}/{version}:enable`,
      id: 'secretmanager.versions.enable',
      bodyType: 'google.cloud.secretmanager.v1.EnableSecretVersionRequest',
      handle: (req) => setVersionState(req, 'ENABLED'),
    },
    {
      method: 'POST',
      path: `${versions}/{version}:destroy`,
      id: 'secretmanager.versions.destroy',
      bodyType: 'google.cloud.secretmanager.v1.DestroySecretVersionRequest',
      handle: (req) => setVersionState(req, 'DESTROYED'),
    },
  ];

  return {
    name: 'secretmanager',
    routes: () => routes,

    canAccessSecret(secretName: string, member: string): boolean {
      return guestReadable(secretName, member) !== undefined;
    },

    readSecretForGuest(secretName: string, member: string): Buffer | undefined {
      const secret = guestReadable(secretName, member);
      const newestEnabled = secret?.versions.findLast((v) => v.state === 'ENABLED' && v.payload !== undefined);
      return newestEnabled ? Buffer.from(newestEnabled.payload!, 'base64') : undefined;
    },

    secretVersionForGuest(secretName: string, member: string): number | undefined {
      return guestReadable(secretName, member)?.versions.findLast((v) => v.state === 'ENABLED' && v.payload !== undefined)?.version;
    },

    inventory(): InventoryResource[] {
      return [...secrets.values()].map((s): InventoryResource => {
        const iamPolicy = inventoryPolicy(s.policy);
        return {
          kind: 'secretmanager.secrets',
          name: `projects/${s.projectId}/secrets/${s.secretId}`,
          labels: { ...s.labels },
          ...(iamPolicy ? { iamPolicy } : {}),
          attributes: {
            createTime: s.createTime,
            replication: s.replication.userManaged ? 'user-managed' : 'automatic',
            annotations: { ...s.annotations },
            versionCount: s.versions.length,
            // States only: a payload never leaves the module through an admin view.
            versions: s.versions.map((v) => ({ version: v.version, state: v.state })),
          },
        };
      });
    },

    snapshot(): SecretManagerState {
      return { secrets: structuredClone([...secrets.values()]) };
    },

    restore(state: unknown): void {
      generation++;
      secrets.clear();
      recentAdds.clear();
      for (const s of (state as SecretManagerState | undefined)?.secrets ?? []) secrets.set(key(s.projectId, s.secretId), structuredClone(s));
    },

    reset(): void {
      generation++;
      secrets.clear();
      recentAdds.clear();
    },
  };
};

/** A list answer: `{ <field>: [...], nextPageToken?, totalSize }` (totalSize counts the filtered items). */
function listAnswer<T>(req: RouteRequest, all: readonly T[], field: string, render: (item: T) => unknown) {
  const { items, nextPageToken } = pageOf(req, all, LIST_PAGES);
  return { ...(items.length ? { [field]: items.map(render) } : {}), ...(nextPageToken ? { nextPageToken } : {}), totalSize: all.length };
}
