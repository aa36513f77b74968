/**
 * What a check sees while it reads one statement: the dialect, what earlier
 * statements established, and a way to report a finding at a token's line.
 */
import type { DialectName } from '../dialects/syntax';
import type { FindingSubject } from './finding';
import { type QualifiedName, tableKey } from './names';
import type { SchemaMemory } from './schema-memory';
import type { Token } from './tokens';

/** State one file builds up statement by statement. */
export class FileState {
  /** Tables created in this file: they hold no rows of their own yet, so the MF checks skip them. */
  private readonly created = new Set<string>();
  /** Indexes dropped in this file: a unique one created under the same name is MF102. */
  private readonly droppedIndexes = new Set<string>();

  constructor(readonly memory: SchemaMemory) {}

  markCreated(table: QualifiedName): void {
    this.created.add(tableKey(table, this.memory.dialect));
  }

  wasCreated(table: QualifiedName): boolean {
    return this.created.has(tableKey(table, this.memory.dialect));
  }

  markIndexDropped(index: string, table: QualifiedName | undefined): void {
    this.droppedIndexes.add(this.indexKey(index, table));
  }

  wasIndexDropped(index: string, table: QualifiedName | undefined): boolean {
    return this.droppedIndexes.has(this.indexKey(index, table));
  }

  /** MySQL index names belong to a table; PostgreSQL and SQLite ones to a schema (left out: often implicit). */
  private indexKey(index: string, table: QualifiedName | undefined): string {
    const owner = this.memory.dialect === 'mysql' && table !== undefined ? tableKey(table, 'mysql') : '';
    return `${owner}\u0001${tableKey({ name: index }, this.memory.dialect)}`;
  }
}

export interface LintScope {
  readonly dialect: DialectName;
  readonly state: FileState;
  /** Records a finding on the line of `at`. */
  report(code: string, at: Token, message: string, subject: FindingSubject): void;
}

export function tableSubject(table: QualifiedName): FindingSubject {
  return table.schema === undefined ? { kind: 'table', table: table.name } : { kind: 'table', schema: table.schema, table: table.name };
}

export function columnSubject(table: QualifiedName, columns: readonly string[]): FindingSubject {
  return { ...tableSubject(table), kind: 'column', columns };
}

/** A subject for an object named on its own (view, routine, trigger, index, schema object). */
export function namedSubject(
  kind: FindingSubject['kind'],
  object: { readonly schema?: string | undefined; readonly name: string },
  table?: QualifiedName,
): FindingSubject {
  const schema = table?.schema ?? object.schema;
  return {
    kind,
    ...(schema === undefined ? {} : { schema }),
    ...(table === undefined ? {} : { table: table.name }),
    name: object.name,
  };
}
