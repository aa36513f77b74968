/**
 * Small builders for the structural OpenAPI v3 schema of our CRD, so that
 * every node is typed and described (the apiserver rejects non-structural
 * schemas, and `kubectl explain` shows the descriptions).
 */

export interface SchemaNode {
  type?: 'object' | 'string' | 'integer' | 'boolean' | 'array';
  description: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  items?: SchemaNode;
  additionalProperties?: SchemaNode;
  enum?: string[];
  default?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maxLength?: number;
  minLength?: number;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-validations'?: { rule: string; message: string }[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  /** With anyOf integer/string and no type: Kubernetes' int-or-string (quantities). */
  'x-kubernetes-int-or-string'?: boolean;
  anyOf?: readonly { readonly type: 'integer' | 'string' }[];
}

export function str(description: string, extra: Partial<SchemaNode> = {}): SchemaNode {
  return { type: 'string', description, ...extra };
}

export function int(description: string, extra: Partial<SchemaNode> = {}): SchemaNode {
  return { type: 'integer', description, ...extra };
}

export function bool(description: string, extra: Partial<SchemaNode> = {}): SchemaNode {
  return { type: 'boolean', description, ...extra };
}

/**
 * An integer or a string (Kubernetes' int-or-string, as resource.Quantity
 * fields are declared); `pattern` applies to the string form, `minimum` to
 * the integer form.
 */
export function intOrString(description: string, extra: Partial<SchemaNode> = {}): SchemaNode {
  return { description, 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }], ...extra };
}

export function obj(description: string, properties: Record<string, SchemaNode>, extra: Partial<SchemaNode> = {}): SchemaNode {
  return { type: 'object', description, properties, ...extra };
}

export function stringMap(description: string): SchemaNode {
  return { type: 'object', description, additionalProperties: { type: 'string', description: 'A value.' } };
}

export function list(description: string, items: SchemaNode, extra: Partial<SchemaNode> = {}): SchemaNode {
  return { type: 'array', description, items, ...extra };
}

/** A reference to one key of a Secret in the resource's namespace (corev1.SecretKeySelector). */
export function secretKeyRef(what: string): SchemaNode {
  return obj(
    `Reads ${what} from a key of a Secret in the same namespace.`,
    {
      secretKeyRef: obj(
        'The Secret and the key to read.',
        {
          name: str('Name of the Secret.', { default: '' }),
          key: str('The key of the Secret to read.'),
          optional: bool('Kept for compatibility with corev1.SecretKeySelector; a missing Secret or key is always an error.'),
        },
        { required: ['key'], 'x-kubernetes-map-type': 'atomic' },
      ),
    },
    { required: ['secretKeyRef'] },
  );
}
