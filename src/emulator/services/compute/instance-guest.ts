/**
 * What an instance's guest publishes, read through compute: guest attributes (`queryPath` of a
 * namespace or `namespace/key`, or one `variableKey`) and the serial console (`start` offsets,
 * `next` to continue from; a negative start reads the last bytes).
 */
import type { Route, RouteRequest } from '../../core/contract.js';
import { regionOfKnownZone, type ComputeEnv } from './env.js';
import { invalidField, notFound } from './errors.js';
import { instanceName } from './instances.js';
import { url } from './links.js';
import type { InstanceRecord } from './state.js';

type Finder = (project: string, zone: string, name: string) => InstanceRecord | undefined;

export function instanceGuestRoutes(_env: ComputeEnv, find: Finder): Route[] {
  function existing(req: RouteRequest): InstanceRecord {
    const { project, zone, instance } = req.params as { project: string; zone: string; instance: string };
    regionOfKnownZone(zone);
    const i = find(project, zone, instance);
    if (!i) throw notFound(instanceName(project, zone, instance));
    return i;
  }

  const base = '/compute/v1/projects/{project}/zones/{zone}/instances';
  return [
    {
      method: 'GET',
      path: `${base}/{instance}/getGuestAttributes`,
      id: 'compute.instances.getGuestAttributes',
      handle(req) {
        const i = existing(req);
        const rel = instanceName(i.project, i.zone, i.name);
        const variableKey = req.query.get('variableKey');
        if (variableKey) {
          const value = i.guestAttributes[variableKey];
          if (value === undefined) throw notFound(`${rel}/guestAttributes/${variableKey}`);
          return { body: { kind: 'compute#guestAttributes', selfLink: url(`${rel}/guestAttributes/${variableKey}`), variableKey, variableValue: value } };
        }
        const queryPath = req.query.get('queryPath') ?? '';
        if (queryPath && !/^[A-Za-z0-9_-]+\/(?:[A-Za-z0-9_-]+)?$/.test(queryPath) && !/^[A-Za-z0-9_-]+$/.test(queryPath)) {
          throw invalidField('queryPath', queryPath, 'Must be a namespace followed by a slash, or a namespace/key.');
        }
        const prefix = queryPath && !queryPath.includes('/') ? `${queryPath}/` : queryPath;
        const items = Object.entries(i.guestAttributes)
          .filter(([k]) => (prefix.endsWith('/') || prefix === '' ? k.startsWith(prefix) : k === prefix))
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([k, value]) => {
            const slash = k.indexOf('/');
            return { namespace: k.slice(0, slash), key: k.slice(slash + 1), value };
          });
        if (items.length === 0) throw notFound(`${rel}/guestAttributes/${queryPath}`);
        return { body: { kind: 'compute#guestAttributes', selfLink: url(`${rel}/guestAttributes/${queryPath}`), queryPath, queryValue: { items } } };
      },
    },
    {
      method: 'GET',
      path: `${base}/{instance}/serialPort`,
      id: 'compute.instances.getSerialPortOutput',
      handle(req) {
        const i = existing(req);
        const rel = instanceName(i.project, i.zone, i.name);
        const port = Number(req.query.get('port') ?? '1');
        if (!Number.isInteger(port) || port < 1 || port > 4) throw invalidField('port', req.query.get('port'), 'Must be between 1 and 4.');
        const startRaw = req.query.get('start');
        let start = startRaw === null ? 0 : Number(startRaw);
        if (!Number.isInteger(start)) throw invalidField('start', startRaw, 'Must be an integer.');
        // Only port 1 (the console) carries output.
        const serial = port === 1 ? i.serial : { start: 0, text: '' };
        const end = serial.start + serial.text.length;
        if (start < 0) start = Math.max(serial.start, end + start);
        start = Math.max(start, serial.start);
        const contents = start >= end ? '' : serial.text.slice(start - serial.start);
        return {
          body: {
            kind: 'compute#serialPortOutput',
            contents,
            start: String(Math.min(start, end)),
            next: String(end),
            selfLink: url(`${rel}/serialPort?port=${port}`),
          },
        };
      },
    },
  ];
}
