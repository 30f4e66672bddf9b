/**
 * Resource Manager v3 (cloudresourcemanager.googleapis.com), as `@google-cloud/resource-manager` calls
 * it over REST: reading a project and its IAM allow policy (get/set with etags, 409 ABORTED on a stale
 * one, conditions with version 3, audit configs).
 *
 * The emulator models projects that exist, not their creation: every well-formed project id is an
 * ACTIVE project, numbered by projectNumberOf. A project whose policy nobody wrote reads as an empty
 * policy (`{ etag: "ACAB" }`); real projects start with their creator as owner, which the plane never
 * relies on. A malformed or unknown project answers 403, as GCP does for projects the caller cannot see.
 */
import { randomBytes } from 'node:crypto';
import type { InventoryResource, Route, RouteRequest, ServiceContext, ServiceFactory, ServiceModule } from '../core/contract.js';
import { permissionDenied } from './api-errors.js';
import { inventoryPolicy, policyRoutes, type PolicyRules, type StoredPolicy } from './iam-policy.js';
import { projectNumberOf, resolveProjectId } from './project-number.js';

/** Project.State.ACTIVE, for `enum-encoding=int` answers. */
const ACTIVE = 1;

/** Roles grantable on a project: the predefined roles a plane and its operators plausibly use. */
const PROJECT_POLICY: PolicyRules = {
  auditConfigs: true,
  grantableRoles: new Set([
    'roles/owner',
    'roles/editor',
    'roles/viewer',
    'roles/browser',
    'roles/resourcemanager.projectIamAdmin',
    'roles/iam.securityAdmin',
    'roles/iam.securityReviewer',
    'roles/iam.roleAdmin',
    'roles/iam.roleViewer',
    'roles/iam.serviceAccountAdmin',
    'roles/iam.serviceAccountCreator',
    'roles/iam.serviceAccountDeleter',
    'roles/iam.serviceAccountUser',
    'roles/iam.serviceAccountTokenCreator',
    'roles/iam.serviceAccountKeyAdmin',
    'roles/iam.serviceAccountViewer',
    'roles/iam.workloadIdentityUser',
    'roles/secretmanager.admin',
    'roles/secretmanager.secretAccessor',
    'roles/secretmanager.secretVersionAdder',
    'roles/secretmanager.secretVersionManager',
    'roles/secretmanager.viewer',
    'roles/compute.admin',
    'roles/compute.instanceAdmin',
    'roles/compute.instanceAdmin.v1',
    'roles/compute.networkAdmin',
    'roles/compute.securityAdmin',
    'roles/compute.storageAdmin',
    'roles/compute.viewer',
    'roles/compute.osLogin',
    'roles/compute.osAdminLogin',
    'roles/compute.osLoginExternalUser',
    'roles/iap.admin',
    'roles/iap.tunnelResourceAccessor',
    'roles/iap.httpsResourceAccessor',
    'roles/iap.settingsAdmin',
    'roles/logging.admin',
    'roles/logging.logWriter',
    'roles/logging.viewer',
    'roles/logging.privateLogViewer',
    'roles/monitoring.admin',
    'roles/monitoring.editor',
    'roles/monitoring.metricWriter',
    'roles/monitoring.viewer',
    'roles/cloudtrace.agent',
    'roles/errorreporting.writer',
    'roles/stackdriver.resourceMetadata.writer',
    'roles/serviceusage.serviceUsageAdmin',
    'roles/serviceusage.serviceUsageConsumer',
    'roles/storage.admin',
    'roles/storage.objectAdmin',
    'roles/storage.objectCreator',
    'roles/storage.objectViewer',
    'roles/artifactregistry.reader',
  ]),
};

interface ProjectRecord {
  projectId: string;
  createTime: string;
  etag: string;
  policy?: StoredPolicy;
}

interface ResourceManagerState {
  projects: ProjectRecord[];
}

export const createResourceManagerService: ServiceFactory = (ctx: ServiceContext): ServiceModule => {
  const projects = new Map<string, ProjectRecord>();

  /** The project a path names, known from the first time anyone names it. */
  function projectOf(req: RouteRequest, permission: string): ProjectRecord {
    const segment = req.params.project!;
    const projectId = resolveProjectId(segment, projects.keys());
    if (!projectId) {
      throw permissionDenied(`Permission '${permission}' denied on resource 'projects/${segment}' (or it may not exist).`);
    }
    let project = projects.get(projectId);
    if (!project) {
      project = { projectId, createTime: new Date(ctx.clock.now()).toISOString(), etag: `W/"${randomBytes(8).toString('hex')}"` };
      projects.set(projectId, project);
      ctx.markDirty();
    }
    return project;
  }

  const base = '/v3/projects/{project}';
  const routes: Route[] = [
    {
      method: 'GET',
      path: base,
      id: 'resourcemanager.projects.get',
      handle(req) {
        const p = projectOf(req, 'resourcemanager.projects.get');
        const numeric = (req.query.get('$alt') ?? '').includes('enum-encoding=int');
        return {
          body: {
            name: `projects/${projectNumberOf(p.projectId)}`,
            projectId: p.projectId,
            state: numeric ? ACTIVE : 'ACTIVE',
            displayName: p.projectId,
            createTime: p.createTime,
            updateTime: p.createTime,
            etag: p.etag,
          },
        };
      },
    },
    ...policyRoutes(
      {
        path: base,
        idPrefix: 'resourcemanager.projects',
        getMethod: 'POST',
        getBody: { bodyType: 'google.iam.v1.GetIamPolicyRequest' },
        rules: PROJECT_POLICY,
        holder(req, verb) {
          const p = projectOf(req, `resourcemanager.projects.${verb}`);
          return {
            policy: p.policy,
            save: (policy) => {
              p.policy = policy;
              ctx.markDirty();
            },
          };
        },
      },
      ctx,
    ),
  ];

  return {
    name: 'resourcemanager',
    routes: () => routes,

    inventory(): InventoryResource[] {
      // Projects are the plane's surroundings, not its resources: only a project whose policy holds
      // grants is listed, so that a per-person grant on the project (which design §4 forbids) shows up.
      return [...projects.values()].flatMap((p): InventoryResource[] => {
        const iamPolicy = inventoryPolicy(p.policy);
        if (!iamPolicy && !p.policy?.auditConfigs?.length) return [];
        return [
          {
            kind: 'resourcemanager.projects',
            name: `projects/${p.projectId}`,
            labels: {},
            ...(iamPolicy ? { iamPolicy } : {}),
            attributes: { projectNumber: projectNumberOf(p.projectId), state: 'ACTIVE' },
          },
        ];
      });
    },

    snapshot(): ResourceManagerState {
      return { projects: structuredClone([...projects.values()]) };
    },

    restore(state: unknown): void {
      projects.clear();
      for (const p of (state as ResourceManagerState | undefined)?.projects ?? []) projects.set(p.projectId, structuredClone(p));
    },

    reset(): void {
      projects.clear();
    },
  };
};
