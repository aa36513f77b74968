/**
 * The CustomResourceDefinition of AtlasMigration, built from the schema:
 * namespaced, one served and stored version, the status subresource,
 * printer columns and a short name.
 */
import { API_GROUP, API_VERSION, KIND, PLURAL, PRINTER_COLUMNS, SHORT_NAMES, SINGULAR, specSchema, statusSchema } from './atlasmigration-schema';
import type { SchemaNode } from './schema-helpers';

export const CRD_NAME = `${PLURAL}.${API_GROUP}`;

/** The openAPIV3Schema of the resource (apiVersion, kind, metadata, spec, status). */
export function resourceSchema(): SchemaNode {
  return {
    type: 'object',
    description: 'AtlasMigration applies an Atlas versioned migration directory to a database and reports whether it is up to date.',
    properties: {
      apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
      kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
      // The apiserver forbids describing metadata beyond its type (it is implicitly ObjectMeta).
      metadata: { type: 'object' } as SchemaNode,
      spec: specSchema,
      status: { ...statusSchema, default: { observedGeneration: -1 } },
    },
    required: ['spec'],
  };
}

export function atlasMigrationCrd(): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: CRD_NAME },
    spec: {
      group: API_GROUP,
      names: { kind: KIND, listKind: `${KIND}List`, plural: PLURAL, singular: SINGULAR, shortNames: [...SHORT_NAMES] },
      scope: 'Namespaced',
      versions: [
        {
          name: API_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: PRINTER_COLUMNS.map((c) => ({ ...c })),
          schema: { openAPIV3Schema: resourceSchema() },
        },
      ],
    },
  };
}
