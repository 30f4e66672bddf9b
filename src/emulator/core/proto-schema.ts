/**
 * Request bodies checked against the schemas the npm clients ship (their protos.json), the way GCP's
 * front end checks JSON: unknown names and mistyped values are 400 INVALID_ARGUMENT with GCP's
 * wording. Field names are accepted in lowerCamelCase and in the proto's snake_case, as proto3 JSON
 * parsers do; error paths use snake_case, as GCP's messages do.
 *
 * Compute's protos.json is 12 MB: loading all of it with protobufjs takes about a second and a lot of
 * memory, so each body type is loaded as a pruned Root holding only the messages it can reach.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import protobuf from 'protobufjs';
import { ApiError } from './contract.js';

type JsonNamespace = { nested?: Record<string, JsonNamespace>; fields?: Record<string, JsonField>; values?: Record<string, number> };
type JsonField = { type: string; keyType?: string; rule?: string };

const require = createRequire(import.meta.url);

/** Where each API's schema comes from; google.iam.v1 is in secret-manager's (and resource-manager's). */
const SOURCES: readonly { readonly packageName: string; readonly prefixes: readonly string[] }[] = [
  { packageName: '@google-cloud/compute', prefixes: ['google.cloud.compute.'] },
  { packageName: '@google-cloud/secret-manager', prefixes: ['google.cloud.secretmanager.', 'google.iam.', 'google.protobuf.', 'google.type.'] },
  { packageName: '@google-cloud/resource-manager', prefixes: ['google.cloud.resourcemanager.', 'google.iam.', 'google.protobuf.', 'google.type.'] },
];

const sourceJson = new Map<string, JsonNamespace>();

function loadSource(packageName: string): JsonNamespace {
  let json = sourceJson.get(packageName);
  if (!json) {
    const entry = require.resolve(packageName);
    // build/src/index.js → build/protos/protos.json
    const file = join(dirname(dirname(entry)), 'protos', 'protos.json');
    json = JSON.parse(readFileSync(file, 'utf8')) as JsonNamespace;
    sourceJson.set(packageName, json);
  }
  return json;
}

function lookupPath(root: JsonNamespace, fullName: string): JsonNamespace | undefined {
  let node: JsonNamespace | undefined = root;
  for (const part of fullName.split('.')) {
    node = node?.nested?.[part];
    if (!node) return undefined;
  }
  return node;
}

const SCALARS = new Set([
  'double', 'float', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'fixed32', 'fixed64',
  'sfixed32', 'sfixed64', 'bool', 'string', 'bytes',
]);

/** Protobuf name resolution: innermost enclosing scope first. */
function resolveTypeName(root: JsonNamespace, scope: string, ref: string): string | undefined {
  if (ref.startsWith('.')) return lookupPath(root, ref.slice(1)) ? ref.slice(1) : undefined;
  const parts = scope.split('.');
  for (let i = parts.length; i >= 0; i--) {
    const candidate = [...parts.slice(0, i), ref].join('.');
    if (lookupPath(root, candidate)) return candidate;
  }
  return undefined;
}

/** A JSON tree with only `typeName` and the types it reaches, at their original paths. */
function prune(root: JsonNamespace, typeName: string): JsonNamespace {
  const out: JsonNamespace = {};
  const seen = new Set<string>();
  const queue = [typeName];
  while (queue.length) {
    const name = queue.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const def = lookupPath(root, name)!;
    // Copy the definition without its nested types (those are added only when reached).
    const { nested: _nested, ...own } = def;
    let target = out;
    const parts = name.split('.');
    for (const [i, part] of parts.entries()) {
      target.nested ??= {};
      if (i === parts.length - 1) {
        target.nested[part] = { ...own, ...(target.nested[part]?.nested ? { nested: target.nested[part]!.nested } : {}) };
      } else {
        target.nested[part] ??= {};
      }
      target = target.nested[part]!;
    }
    for (const field of Object.values(def.fields ?? {})) {
      if (SCALARS.has(field.type)) continue;
      const resolved = resolveTypeName(root, name, field.type);
      if (resolved) queue.push(resolved);
    }
  }
  return out;
}

const typeCache = new Map<string, protobuf.Type>();

function loadType(typeName: string): protobuf.Type {
  const cached = typeCache.get(typeName);
  if (cached) return cached;
  for (const source of SOURCES) {
    if (!source.prefixes.some((p) => typeName.startsWith(p))) continue;
    const json = loadSource(source.packageName);
    if (!lookupPath(json, typeName)) continue;
    const root = protobuf.Root.fromJSON(prune(json, typeName) as protobuf.INamespace);
    root.resolveAll();
    const type = root.lookupType(typeName);
    typeCache.set(typeName, type);
    return type;
  }
  throw new Error(`no shipped schema defines ${typeName}`);
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c, i: number) => (i === 0 ? c.toLowerCase() : `_${c.toLowerCase()}`));
}

/** Fields by every name a JSON body may use for them. */
const fieldIndexes = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();

function fieldIndex(type: protobuf.Type): Map<string, protobuf.Field> {
  let index = fieldIndexes.get(type);
  if (!index) {
    index = new Map();
    for (const field of type.fieldsArray) {
      index.set(field.name, field);
      const jsonName = (field.options?.json_name as string | undefined) ?? undefined;
      if (jsonName) index.set(jsonName, field);
      index.set(snake(field.name), field);
    }
    fieldIndexes.set(type, index);
  }
  return index;
}

function badRequest(message: string, path: string): ApiError {
  return new ApiError(400, 'INVALID_ARGUMENT', message, 'invalid', [
    { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: path, description: message }] },
  ]);
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  double: 'TYPE_DOUBLE', float: 'TYPE_FLOAT', int32: 'TYPE_INT32', int64: 'TYPE_INT64', uint32: 'TYPE_UINT32',
  uint64: 'TYPE_UINT64', sint32: 'TYPE_SINT32', sint64: 'TYPE_SINT64', fixed32: 'TYPE_FIXED32', fixed64: 'TYPE_FIXED64',
  sfixed32: 'TYPE_SFIXED32', sfixed64: 'TYPE_SFIXED64', bool: 'TYPE_BOOL', string: 'TYPE_STRING', bytes: 'TYPE_BYTES',
};

function invalidValue(path: string, typeLabel: string, value: unknown): ApiError {
  return badRequest(`Invalid value at '${path}' (${typeLabel}), ${JSON.stringify(value)}`, path);
}

const INTEGER = /^-?\d+$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function scalarOk(type: string, value: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'bool':
      return typeof value === 'boolean';
    case 'bytes':
      return typeof value === 'string' && BASE64.test(value);
    case 'double':
    case 'float':
      return (typeof value === 'number') || (typeof value === 'string' && (['NaN', 'Infinity', '-Infinity'].includes(value) || (value.trim() !== '' && Number.isFinite(Number(value)))));
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      return isInteger(value, -(2 ** 31), 2 ** 31 - 1);
    case 'uint32':
    case 'fixed32':
      return isInteger(value, 0, 2 ** 32 - 1);
    case 'uint64':
    case 'fixed64':
      return isInteger(value, 0, Number.POSITIVE_INFINITY);
    default:
      // int64, sint64, sfixed64: strings of any size, or numbers.
      return isInteger(value, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
  }
}

function isInteger(value: unknown, min: number, max: number): boolean {
  if (typeof value === 'number') return Number.isInteger(value) && value >= min && value <= max;
  if (typeof value === 'string' && INTEGER.test(value)) {
    const n = Number(value);
    return n >= min && n <= max;
  }
  return false;
}

const STRING_WKT = new Set(['google.protobuf.Timestamp', 'google.protobuf.Duration', 'google.protobuf.FieldMask']);
const WRAPPERS: Readonly<Record<string, string>> = {
  'google.protobuf.DoubleValue': 'double', 'google.protobuf.FloatValue': 'float', 'google.protobuf.Int64Value': 'int64',
  'google.protobuf.UInt64Value': 'uint64', 'google.protobuf.Int32Value': 'int32', 'google.protobuf.UInt32Value': 'uint32',
  'google.protobuf.BoolValue': 'bool', 'google.protobuf.StringValue': 'string', 'google.protobuf.BytesValue': 'bytes',
};

function fullName(t: protobuf.ReflectionObject): string {
  return t.fullName.replace(/^\./, '');
}

const join_ = (path: string, name: string) => (path ? `${path}.${name}` : name);

function checkMessage(type: protobuf.Type, value: unknown, path: string): void {
  const name = fullName(type);
  if (STRING_WKT.has(name)) {
    if (typeof value !== 'string') throw invalidValue(path, `type.googleapis.com/${name}`, value);
    return;
  }
  if (WRAPPERS[name]) {
    if (!scalarOk(WRAPPERS[name]!, value)) throw invalidValue(path, `type.googleapis.com/${name}`, value);
    return;
  }
  if (name === 'google.protobuf.Value') return;
  if (name === 'google.protobuf.ListValue') {
    if (!Array.isArray(value)) throw invalidValue(path, `type.googleapis.com/${name}`, value);
    return;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidValue(path, `type.googleapis.com/${name}`, value);
  }
  if (name === 'google.protobuf.Struct' || name === 'google.protobuf.Any') return;
  const index = fieldIndex(type);
  for (const [key, fieldValue] of Object.entries(value as Record<string, unknown>)) {
    const field = index.get(key);
    if (!field) {
      const at = path ? ` at '${path}'` : '';
      throw badRequest(`Invalid JSON payload received. Unknown name "${key}"${at}: Cannot find field.`, join_(path, key));
    }
    if (fieldValue === null) continue;
    checkField(field, fieldValue, path, key);
  }
}

function checkField(field: protobuf.Field, value: unknown, parentPath: string, key: string): void {
  const path = join_(parentPath, snake(field.name));
  if (field.map) {
    if (typeof value !== 'object' || Array.isArray(value)) throw invalidValue(path, 'Map', value);
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      checkSingle(field, v, `${path}[${k}]`);
    }
    return;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) {
      const label = field.resolvedType ? `type.googleapis.com/${fullName(field.resolvedType)}` : (TYPE_NAMES[field.type] ?? field.type);
      throw invalidValue(path, label, value);
    }
    value.forEach((v, i) => {
      if (v !== null) checkSingle(field, v, `${path}[${i}]`);
    });
    return;
  }
  if (Array.isArray(value)) {
    const at = parentPath ? ` at '${parentPath}'` : '';
    throw badRequest(`Invalid JSON payload received. Unknown name "${key}"${at}: Proto field is not repeating, cannot start list.`, path);
  }
  checkSingle(field, value, path);
}

function checkSingle(field: protobuf.Field, value: unknown, path: string): void {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) {
    checkMessage(resolved, value, path);
  } else if (resolved instanceof protobuf.Enum) {
    const ok = (typeof value === 'string' && value in resolved.values) || (typeof value === 'number' && Number.isInteger(value));
    if (!ok) throw invalidValue(path, `type.googleapis.com/${fullName(resolved)}`, value);
  } else if (!scalarOk(field.type, value)) {
    throw invalidValue(path, TYPE_NAMES[field.type] ?? field.type, value);
  }
}

/**
 * Throws the 400 GCP would answer when `body` does not fit `typeName`. `bodyName` is the request field
 * the body binds to (compute: `instance`), the root of every error path.
 */
export function validateBody(typeName: string, body: unknown, bodyName = ''): void {
  checkMessage(loadType(typeName), body, bodyName);
}

/** Loads (and caches) the schemas ahead of the first request, so that request does not pay for it. */
export function preloadSchemas(typeNames: Iterable<string>): void {
  for (const name of typeNames) loadType(name);
}
