/** Read-only catalog endpoints: regions, zones, and the machine types of a zone. */
import type { Route } from '../../core/contract.js';
import { allZones, MACHINE_TYPES, machineTypeIn, REGION_ZONES, regionOfZone, zonesOf } from './catalog.js';
import { knownRegion, regionOfKnownZone } from './env.js';
import { notFound } from './errors.js';
import { url } from './links.js';
import { listPage } from './listing.js';

/** Stable pseudo-ids for catalog entries (real GCP ids are fixed numbers too). */
function catalogId(name: string): string {
  let h = 1125899906842597n;
  for (const ch of name) h = (h * 31n + BigInt(ch.charCodeAt(0))) % 9_000_000_000_000_000_000n;
  return (h + 1_000_000_000_000_000_000n).toString();
}

export function geographyRoutes(): Route[] {
  const zone = (project: string, name: string) => ({
    kind: 'compute#zone',
    id: catalogId(name),
    name,
    description: name,
    status: 'UP',
    region: url(`projects/${project}/regions/${regionOfZone(name)}`),
    selfLink: url(`projects/${project}/zones/${name}`),
    availableCpuPlatforms: ['Intel Broadwell', 'Intel Cascade Lake', 'AMD Milan'],
    supportsPzs: false,
  });
  const region = (project: string, name: string) => ({
    kind: 'compute#region',
    id: catalogId(name),
    name,
    description: name,
    status: 'UP',
    zones: zonesOf(name).map((z) => url(`projects/${project}/zones/${z}`)),
    quotas: [],
    selfLink: url(`projects/${project}/regions/${name}`),
    supportsPzs: false,
  });
  const machineType = (project: string, zoneName: string, name: string) => {
    const spec = MACHINE_TYPES[name]!;
    return {
      kind: 'compute#machineType',
      id: catalogId(name),
      name,
      description: spec.description,
      guestCpus: spec.guestCpus,
      memoryMb: spec.memoryMb,
      maximumPersistentDisks: 128,
      maximumPersistentDisksSizeGb: '263168',
      zone: zoneName,
      isSharedCpu: spec.sharedCpu === true,
      selfLink: url(`projects/${project}/zones/${zoneName}/machineTypes/${name}`),
    };
  };

  return [
    {
      method: 'GET',
      path: '/compute/v1/projects/{project}/zones/{zone}',
      id: 'compute.zones.get',
      handle(req) {
        if (!regionOfZone(req.params.zone!)) throw notFound(`projects/${req.params.project}/zones/${req.params.zone}`);
        return { body: zone(req.params.project!, req.params.zone!) };
      },
    },
    {
      method: 'GET',
      path: '/compute/v1/projects/{project}/zones',
      id: 'compute.zones.list',
      handle: (req) => ({ body: listPage('compute#zoneList', url(`projects/${req.params.project}/zones`), allZones().sort().map((z) => zone(req.params.project!, z)), req.query) }),
    },
    {
      method: 'GET',
      path: '/compute/v1/projects/{project}/regions/{region}',
      id: 'compute.regions.get',
      handle(req) {
        if (!(req.params.region! in REGION_ZONES)) throw notFound(`projects/${req.params.project}/regions/${req.params.region}`);
        return { body: region(req.params.project!, knownRegion(req.params.region!)) };
      },
    },
    {
      method: 'GET',
      path: '/compute/v1/projects/{project}/regions',
      id: 'compute.regions.list',
      handle: (req) =>
        ({ body: listPage('compute#regionList', url(`projects/${req.params.project}/regions`), Object.keys(REGION_ZONES).sort().map((r) => region(req.params.project!, r)), req.query) }),
    },
    {
      method: 'GET',
      path: '/compute/v1/projects/{project}/zones/{zone}/machineTypes/{machine_type}',
      id: 'compute.machineTypes.get',
      handle(req) {
        const { project, zone: z, machine_type: name } = req.params as { project: string; zone: string; machine_type: string };
        regionOfKnownZone(z);
        if (!machineTypeIn(z, name)) throw notFound(`projects/${project}/zones/${z}/machineTypes/${name}`);
        return { body: machineType(project, z, name) };
      },
    },
    {
      method: 'GET',
      path: '/compute/v1/projects/{project}/zones/{zone}/machineTypes',
      id: 'compute.machineTypes.list',
      handle(req) {
        const { project, zone: z } = req.params as { project: string; zone: string };
        regionOfKnownZone(z);
        const items = Object.keys(MACHINE_TYPES).filter((n) => machineTypeIn(z, n)).sort().map((n) => machineType(project, z, n));
        return { body: listPage('compute#machineTypeList', url(`projects/${project}/zones/${z}/machineTypes`), items, req.query) };
      },
    },
  ];
}
