/** Short builders for the expected subjects in the lint table tests. */
import type { FindingSubject } from './finding';

function inSchema(schema: string | undefined): { schema?: string } {
  return schema === undefined ? {} : { schema };
}

export function table(name: string, schema?: string): FindingSubject {
  return { kind: 'table', ...inSchema(schema), table: name };
}

export function column(tableName: string, name: string, schema?: string): FindingSubject {
  return { kind: 'column', ...inSchema(schema), table: tableName, columns: [name] };
}

export function schemaNamed(name: string): FindingSubject {
  return { kind: 'schema', name };
}

export function named(kind: FindingSubject['kind'], name: string, where: { schema?: string; table?: string } = {}): FindingSubject {
  return { kind, ...inSchema(where.schema), ...(where.table === undefined ? {} : { table: where.table }), name };
}

export function unique(
  kind: 'index' | 'constraint',
  tableName: string,
  parts: { name?: string; columns?: readonly string[]; schema?: string },
): FindingSubject {
  return {
    kind,
    ...inSchema(parts.schema),
    table: tableName,
    ...(parts.name === undefined ? {} : { name: parts.name }),
    ...(parts.columns === undefined ? {} : { columns: parts.columns }),
  };
}
