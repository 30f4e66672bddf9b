/**
 * Request bodies of the IAM admin API (iam.googleapis.com/v1), which ships no proto in our npm
 * clients: their shapes are written here from the API's discovery document, and checked the way
 * Google's JSON front end checks them. An unknown field or a value of the wrong JSON type is a 400
 * naming the field, as GCP answers it: `Invalid JSON payload received. Unknown name "x" at 'service_account': Cannot find field.`
 */
import { invalidArgument } from '../api-errors.js';

type Scalar = 'string' | 'boolean' | 'integer';
interface Shape {
  readonly [field: string]: Scalar | Shape;
}

const SERVICE_ACCOUNT: Shape = {
  name: 'string',
  projectId: 'string',
  uniqueId: 'string',
  email: 'string',
  displayName: 'string',
  etag: 'string',
  description: 'string',
  oauth2ClientId: 'string',
  disabled: 'boolean',
};

const CREATE_SERVICE_ACCOUNT: Shape = { accountId: 'string', serviceAccount: SERVICE_ACCOUNT };
const PATCH_SERVICE_ACCOUNT: Shape = { serviceAccount: SERVICE_ACCOUNT, updateMask: 'string' };
const GET_IAM_POLICY: Shape = { options: { requestedPolicyVersion: 'integer' } };
/** :enable, :disable and :undelete take an empty message. */
const EMPTY: Shape = {};

/** camelCase JSON name → the proto field path GCP's messages use ("serviceAccount" → "service_account"). */
function protoPath(path: string[]): string {
  return path.map((p) => p.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)).join('.');
}

function check(value: unknown, shape: Shape, path: string[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgument(`Invalid JSON payload received. Expected an object at '${protoPath(path)}'.`, protoPath(path));
  }
  for (const [key, field] of Object.entries(value)) {
    const expected = shape[key];
    const at = path.length ? `'${protoPath(path)}'` : '';
    if (expected === undefined) {
      throw invalidArgument(`Invalid JSON payload received. Unknown name "${key}"${at ? ` at ${at}` : ''}: Cannot find field.`, protoPath([...path, key]));
    }
    if (field === null) continue;
    if (typeof expected === 'object') {
      check(field, expected, [...path, key]);
      continue;
    }
    const ok =
      expected === 'string' ? typeof field === 'string'
      : expected === 'boolean' ? typeof field === 'boolean'
      : Number.isInteger(typeof field === 'string' ? Number(field) : field);
    if (!ok) {
      throw invalidArgument(
        `Invalid value at '${protoPath([...path, key])}' (${expected === 'integer' ? 'TYPE_INT32' : `TYPE_${expected.toUpperCase()}`}), ${JSON.stringify(field)}`,
        protoPath([...path, key]),
      );
    }
  }
}

function validator(shape: Shape, required: boolean): (body: unknown) => void {
  return (body) => {
    if (body === undefined || body === null) {
      if (required) throw invalidArgument('Invalid JSON payload received. The request body is empty.');
      return;
    }
    check(body, shape, []);
  };
}

export const validateCreateServiceAccount = validator(CREATE_SERVICE_ACCOUNT, true);
export const validatePatchServiceAccount = validator(PATCH_SERVICE_ACCOUNT, true);
export const validateGetIamPolicy = validator(GET_IAM_POLICY, false);
export const validateEmpty = validator(EMPTY, false);
