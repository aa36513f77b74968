/**
 * In-process validation of AtlasMigration resources with ajv, against the
 * same schema the apiserver enforces. The CEL rules of the schema are
 * mirrored here by predicates (ajv cannot run CEL); a test checks that
 * every CEL rule has its mirror. The apiserver stays the authority.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { resourceSchema } from './crd';
import type { SchemaNode } from './schema-helpers';

type Json = Record<string, unknown>;

/** CEL rule text → the same check in TypeScript, applied to the node that carries the rule. */
export const CEL_MIRRORS: Readonly<Record<string, (self: Json) => boolean>> = {
  '(has(self.url) ? 1 : 0) + (has(self.urlFrom) ? 1 : 0) + (has(self.credentials) ? 1 : 0) == 1': (self) =>
    ['url', 'urlFrom', 'credentials'].filter((k) => self[k] !== undefined).length === 1,
  '(has(self.configMapRef) ? 1 : 0) + (has(self.configMapRefs) ? 1 : 0) + (has(self.local) ? 1 : 0) + (has(self.oci) ? 1 : 0) + (has(self.remote) ? 1 : 0) == 1': (self) =>
    ['configMapRef', 'configMapRefs', 'local', 'oci', 'remote'].filter((k) => self[k] !== undefined).length === 1,
  '!(has(self.insecure) && self.insecure && has(self.caSecretRef))': (self) => !(self.insecure === true && self.caSecretRef !== undefined),
};

const K8S_KEYWORDS = [
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-validations',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-int-or-string',
  'x-kubernetes-embedded-resource',
];

/**
 * kubectl validates strictly (unknown fields are errors) while the apiserver
 * prunes them; the in-process check follows kubectl: every described object
 * rejects fields it does not declare, except where unknown fields are kept.
 */
function strict(node: SchemaNode): SchemaNode {
  if (node['x-kubernetes-int-or-string'] === true) return intOrStringForAjv(node);
  const properties = node.properties === undefined ? undefined : Object.fromEntries(Object.entries(node.properties).map(([k, v]) => [k, strict(v)]));
  const closed = properties !== undefined && Object.keys(properties).length > 0 && node['x-kubernetes-preserve-unknown-fields'] !== true;
  return {
    ...node,
    ...(properties === undefined ? {} : { properties }),
    ...(node.items === undefined ? {} : { items: strict(node.items) }),
    ...(closed && node.additionalProperties === undefined ? { additionalProperties: false as unknown as SchemaNode } : {}),
  };
}

/**
 * An int-or-string as ajv's strict mode wants it: `pattern` on the string
 * branch, `minimum` on the integer one (the CRD keeps them on the node, as
 * the apiserver and controller-gen do; both apply only to their type).
 */
function intOrStringForAjv(node: SchemaNode): SchemaNode {
  const { pattern, minimum, ...rest } = node;
  const integer = { type: 'integer', ...(minimum === undefined ? {} : { minimum }) };
  const string = { type: 'string', ...(pattern === undefined ? {} : { pattern }) };
  return { ...rest, anyOf: [integer, string] } as SchemaNode;
}

function compile(): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  ajv.addFormat('int64', true);
  for (const keyword of K8S_KEYWORDS) ajv.addKeyword({ keyword });
  return ajv.compile(strict(resourceSchema()));
}

let compiled: ValidateFunction | undefined;

function path(instancePath: string): string {
  return instancePath.replace(/^\//, '').replaceAll('/', '.');
}

function describe(e: ErrorObject): string {
  const at = path(e.instancePath) || '(root)';
  if (e.keyword === 'enum') return `${at}: must be one of ${(e.params as { allowedValues: string[] }).allowedValues.join(', ')}`;
  if (e.keyword === 'required') return `${at === '(root)' ? '' : at + '.'}${(e.params as { missingProperty: string }).missingProperty}: required`;
  if (e.keyword === 'additionalProperties') return `${at}.${(e.params as { additionalProperty: string }).additionalProperty}: unknown field`;
  return `${at}: ${e.message ?? 'invalid'}`;
}

function celErrors(node: SchemaNode, value: unknown, at: string): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  const errors: string[] = [];
  for (const rule of node['x-kubernetes-validations'] ?? []) {
    const check = CEL_MIRRORS[rule.rule];
    if (check !== undefined && !check(value as Json)) errors.push(`${at}: ${rule.message}`);
  }
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    errors.push(...celErrors(child, (value as Json)[key], at === '' ? key : `${at}.${key}`));
  }
  return errors;
}

export interface ValidationResult {
  readonly valid: boolean;
  /** Readable messages, each naming the field: `spec.execOrder: must be one of …`. */
  readonly errors: readonly string[];
}

/** Validates (and fills defaults into) a resource object. */
export function validateAtlasMigration(resource: unknown): ValidationResult {
  compiled ??= compile();
  const schemaOk = compiled(resource);
  const errors = schemaOk ? [] : (compiled.errors ?? []).map(describe);
  const cel = celErrors(resourceSchema(), resource, '');
  const all = [...new Set([...errors, ...cel])];
  return { valid: all.length === 0, errors: all };
}
