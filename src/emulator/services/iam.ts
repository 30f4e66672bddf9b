/**
 * IAM admin (iam.googleapis.com/v1): service accounts and their own IAM policies, as
 * `@googleapis/iam` calls them (`/v1/projects/{project}/serviceAccounts[/{email or uniqueId}][:verb]`).
 *
 * GCP behaviour held to:
 * - accountId of 6–30 characters matching `[a-z]([-a-z0-9]*[a-z0-9])`; email
 *   `<accountId>@<project>.iam.gserviceaccount.com`; a 21-digit uniqueId, new on every create;
 * - a duplicate accountId → 409 ALREADY_EXISTS "Service account x already exists within project projects/p.";
 * - at most `config.serviceAccountQuota` accounts per project → 429 RESOURCE_EXHAUSTED "Maximum number
 *   of service accounts on project reached." with RetryInfo 86401s (an allocation quota, not a rate);
 * - eventual consistency: a new account stays invisible (GET/list/policies 404, a policy naming it
 *   400 "does not exist") for `config.serviceAccountVisibilityMs` of emulated time; writes by name
 *   (duplicate create, delete) see it at once;
 * - `projects/-/serviceAccounts/<unknown>` answers 403, as GCP documents, not 404.
 */
import { randomInt } from 'node:crypto';
import type { InventoryResource, Route, RouteRequest, ServiceContext, ServiceFactory, ServiceModule } from '../core/contract.js';
import { alreadyExists, invalidArgument, notFound, permissionDenied, resourceExhausted } from './api-errors.js';
import { inventoryPolicy, policyRoutes, type PolicyRules, type StoredPolicy } from './iam-policy.js';
import { validateCreateServiceAccount, validateEmpty, validateGetIamPolicy, validatePatchServiceAccount } from './iam/request-bodies.js';
import { pageOf } from './list-page.js';
import { resolveProjectId } from './project-number.js';

const ACCOUNT_ID = /^[a-z]([-a-z0-9]*[a-z0-9])$/;
/** GCP returns this constant etag on every service account (the field is deprecated). */
const SERVICE_ACCOUNT_ETAG = 'MDEwMjE5MjA=';
/** serviceAccounts.list: 20 by default, at most 100 per page. */
const ACCOUNT_PAGES = { defaultSize: 20, maxSize: 100 } as const;
/** Allocation quotas come back with a RetryInfo of a day and a second: waiting does not help. */
const QUOTA_RETRY_DELAY_SECONDS = 86401;

/** Roles grantable on a service account resource. */
const SERVICE_ACCOUNT_POLICY: PolicyRules = {
  grantableRoles: new Set([
    'roles/owner',
    'roles/editor',
    'roles/viewer',
    'roles/iam.serviceAccountUser',
    'roles/iam.serviceAccountTokenCreator',
    'roles/iam.serviceAccountOpenIdTokenCreator',
    'roles/iam.serviceAccountAdmin',
    'roles/iam.serviceAccountKeyAdmin',
    'roles/iam.serviceAccountViewer',
    'roles/iam.workloadIdentityUser',
    'roles/iam.securityAdmin',
    'roles/iam.securityReviewer',
  ]),
};

interface ServiceAccountRecord {
  projectId: string;
  accountId: string;
  email: string;
  uniqueId: string;
  displayName: string;
  description: string;
  disabled: boolean;
  /** False until IAM's eventual consistency has caught up with the create. */
  visible: boolean;
  policy?: StoredPolicy;
}

interface IamState {
  accounts: ServiceAccountRecord[];
}

function newUniqueId(): string {
  // 21 digits, like GCP's; random so that a re-created account gets a different one.
  let id = String(randomInt(1, 10));
  while (id.length < 21) id += String(randomInt(0, 10));
  return id;
}

function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

export const createIamService: ServiceFactory = (ctx: ServiceContext): ServiceModule => {
  /** By email. */
  const accounts = new Map<string, ServiceAccountRecord>();
  /** Bumped by reset/restore so that visibility timers of a previous state do nothing. */
  let generation = 0;

  function scheduleVisibility(account: ServiceAccountRecord): void {
    if (ctx.config.serviceAccountVisibilityMs * ctx.config.latencyScale <= 0) {
      account.visible = true;
      return;
    }
    const { email, uniqueId } = account;
    const started = generation;
    void ctx.clock.sleep(ctx.config.serviceAccountVisibilityMs).then(() => {
      const current = accounts.get(email);
      if (started !== generation || current?.uniqueId !== uniqueId) return;
      current.visible = true;
      ctx.markDirty();
    });
  }

  function knownProjects(): Set<string> {
    return new Set([...accounts.values()].map((a) => a.projectId));
  }

  /** The project a collection route names; GCP answers an unknown project with 403, not 404. */
  function projectOf(segment: string, permission: string): string {
    const id = resolveProjectId(segment, knownProjects());
    if (!id) throw permissionDenied(`Permission '${permission}' denied on resource (or it may not exist).`);
    return id;
  }

  function findAny(key: string): ServiceAccountRecord | undefined {
    const byEmail = accounts.get(key);
    if (byEmail) return byEmail;
    if (/^\d{21}$/.test(key)) return [...accounts.values()].find((a) => a.uniqueId === key);
    return undefined;
  }

  /** Reads see only visible accounts (eventual consistency). */
  function findVisible(req: RouteRequest, permission: string): ServiceAccountRecord {
    const { project, account: key } = req.params as { project: string; account: string };
    const found = findAny(key);
    if (found?.visible) return found;
    if (project === '-') throw permissionDenied(`Permission '${permission}' denied on resource (or it may not exist).`);
    throw notFound('Unknown service account');
  }

  function render(a: ServiceAccountRecord) {
    return {
      name: `projects/${a.projectId}/serviceAccounts/${a.email}`,
      projectId: a.projectId,
      uniqueId: a.uniqueId,
      email: a.email,
      ...(a.displayName ? { displayName: a.displayName } : {}),
      ...(a.description ? { description: a.description } : {}),
      etag: SERVICE_ACCOUNT_ETAG,
      oauth2ClientId: a.uniqueId,
      ...(a.disabled ? { disabled: true } : {}),
    };
  }

  function checkTexts(displayName: string, description: string): void {
    if (utf8Length(displayName) > 100) throw invalidArgument('Display name must be at most 100 bytes.', 'service_account.display_name');
    if (utf8Length(description) > 256) throw invalidArgument('Description must be at most 256 bytes.', 'service_account.description');
  }

  const base = '/v1/projects/{project}/serviceAccounts';
  const routes: Route[] = [
    {
      method: 'POST',
      path: base,
      id: 'iam.serviceAccounts.create',
      validate: validateCreateServiceAccount,
      handle(req) {
        // By id or by number, the email carries the project id.
        const projectId = projectOf(req.params.project!, 'iam.serviceAccounts.create');
        const body = req.body as { accountId?: string; serviceAccount?: { displayName?: string; description?: string } };
        const accountId = body.accountId ?? '';
        if (!accountId) throw invalidArgument('Account ID is required.', 'account_id');
        if (accountId.length < 6 || accountId.length > 30 || !ACCOUNT_ID.test(accountId)) {
          throw invalidArgument(
            `Invalid account ID "${accountId}": it must be 6-30 characters long and match the regular expression [a-z]([-a-z0-9]*[a-z0-9]).`,
            'account_id',
          );
        }
        const displayName = body.serviceAccount?.displayName ?? '';
        const description = body.serviceAccount?.description ?? '';
        checkTexts(displayName, description);
        const email = `${accountId}@${projectId}.iam.gserviceaccount.com`;
        if (accounts.has(email)) {
          throw alreadyExists(
            `Service account ${accountId} already exists within project projects/${projectId}.`,
            `projects/${projectId}/serviceAccounts/${email}`,
          );
        }
        const inProject = [...accounts.values()].filter((a) => a.projectId === projectId).length;
        if (inProject >= ctx.config.serviceAccountQuota) {
          throw resourceExhausted('Maximum number of service accounts on project reached.', QUOTA_RETRY_DELAY_SECONDS);
        }
        const account: ServiceAccountRecord = {
          projectId,
          accountId,
          email,
          uniqueId: newUniqueId(),
          displayName,
          description,
          disabled: false,
          visible: false,
        };
        accounts.set(email, account);
        scheduleVisibility(account);
        ctx.markDirty();
        return { body: render(account) };
      },
    },
    {
      method: 'GET',
      path: base,
      id: 'iam.serviceAccounts.list',
      handle(req) {
        const projectId = projectOf(req.params.project!, 'iam.serviceAccounts.list');
        const all = [...accounts.values()]
          .filter((a) => a.projectId === projectId && a.visible)
          .sort((a, b) => a.email.localeCompare(b.email));
        const { items, nextPageToken } = pageOf(req, all, ACCOUNT_PAGES);
        return { body: { ...(items.length ? { accounts: items.map(render) } : {}), ...(nextPageToken ? { nextPageToken } : {}) } };
      },
    },
    {
      method: 'GET',
      path: `${base}/{account}`,
      id: 'iam.serviceAccounts.get',
      handle(req) {
        return { body: render(findVisible(req, 'iam.serviceAccounts.get')) };
      },
    },
    {
      method: 'PATCH',
      path: `${base}/{account}`,
      id: 'iam.serviceAccounts.patch',
      validate: validatePatchServiceAccount,
      handle(req) {
        const account = findVisible(req, 'iam.serviceAccounts.update');
        const body = req.body as { serviceAccount?: { displayName?: string; description?: string }; updateMask?: string };
        const mask = (body.updateMask ?? '').split(',').map((p) => p.trim()).filter(Boolean);
        if (mask.length === 0) throw invalidArgument('update_mask is required.', 'update_mask');
        const next = { displayName: account.displayName, description: account.description };
        for (const path of mask) {
          if (path === 'displayName' || path === 'display_name') next.displayName = body.serviceAccount?.displayName ?? '';
          else if (path === 'description') next.description = body.serviceAccount?.description ?? '';
          else throw invalidArgument(`Invalid update_mask path: ${path}. Only display_name and description can be updated.`, 'update_mask');
        }
        checkTexts(next.displayName, next.description);
        Object.assign(account, next);
        ctx.markDirty();
        return { body: render(account) };
      },
    },
    {
      method: 'DELETE',
      path: `${base}/{account}`,
      id: 'iam.serviceAccounts.delete',
      handle(req) {
        // A delete is a write by name: it sees an account that reads do not show yet.
        const account = findAny(req.params.account!);
        if (!account) {
          if (req.params.project === '-') throw permissionDenied("Permission 'iam.serviceAccounts.delete' denied on resource (or it may not exist).");
          throw notFound('Unknown service account');
        }
        accounts.delete(account.email);
        ctx.markDirty();
        return { body: {} };
      },
    },
    ...(['disable', 'enable'] as const).map(
      (verb): Route => ({
        method: 'POST',
        path: `${base}/{account}:${verb}`,
        id: `iam.serviceAccounts.${verb}`,
        validate: validateEmpty,
        handle(req) {
          const account = findVisible(req, `iam.serviceAccounts.${verb}`);
          account.disabled = verb === 'disable';
          ctx.markDirty();
          return { body: {} };
        },
      }),
    ),
    ...policyRoutes(
      {
        path: `${base}/{account}`,
        idPrefix: 'iam.serviceAccounts',
        getMethod: 'POST',
        getBody: { validate: validateGetIamPolicy },
        rules: SERVICE_ACCOUNT_POLICY,
        holder(req, verb) {
          const account = findVisible(req, `iam.serviceAccounts.${verb}`);
          return {
            policy: account.policy,
            save: (policy) => {
              account.policy = policy;
              ctx.markDirty();
            },
          };
        },
      },
      ctx,
    ),
  ];

  return {
    name: 'iam',
    routes: () => routes,

    serviceAccountVisible(email: string): boolean {
      return accounts.get(email)?.visible === true;
    },

    inventory(): InventoryResource[] {
      return [...accounts.values()].map((a): InventoryResource => {
        const iamPolicy = inventoryPolicy(a.policy);
        return {
          kind: 'iam.serviceAccounts',
          name: `projects/${a.projectId}/serviceAccounts/${a.email}`,
          labels: {},
          ...(iamPolicy ? { iamPolicy } : {}),
          attributes: {
            email: a.email,
            uniqueId: a.uniqueId,
            displayName: a.displayName,
            description: a.description,
            disabled: a.disabled,
            visible: a.visible,
          },
        };
      });
    },

    snapshot(): IamState {
      return { accounts: structuredClone([...accounts.values()]) };
    },

    restore(state: unknown): void {
      generation++;
      accounts.clear();
      for (const a of (state as IamState | undefined)?.accounts ?? []) {
        const account = structuredClone(a);
        accounts.set(account.email, account);
        // A restart does not make IAM catch up faster: the wait starts again.
        if (!account.visible) scheduleVisibility(account);
      }
    },

    reset(): void {
      generation++;
      accounts.clear();
    },
  };
};
