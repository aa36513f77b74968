/**
 * What the linted statements have said so far about columns (type and
 * nullability), so a later type change can be judged against the type it
 * replaces. Only statements seen by this lint run are known: a column whose
 * definition is outside them has an unknown type.
 */
import type { DialectName } from '../dialects/syntax';
import type { ColumnType } from './column-type';
import { nameKey, tableKey } from './names';

export interface ColumnFacts {
  readonly type?: ColumnType;
  readonly notNull: boolean;
}

type TableName = { readonly schema?: string | undefined; readonly name: string };

export class SchemaMemory {
  private readonly tables = new Map<string, Map<string, ColumnFacts>>();

  constructor(readonly dialect: DialectName) {}

  column(table: TableName, column: string): ColumnFacts | undefined {
    return this.tables.get(tableKey(table, this.dialect))?.get(nameKey(column, this.dialect));
  }

  setColumn(table: TableName, column: string, facts: ColumnFacts): void {
    const key = tableKey(table, this.dialect);
    const columns = this.tables.get(key) ?? new Map<string, ColumnFacts>();
    columns.set(nameKey(column, this.dialect), facts);
    this.tables.set(key, columns);
  }

  /** A new table replaces whatever was known under its name. */
  resetTable(table: TableName): void {
    this.tables.set(tableKey(table, this.dialect), new Map());
  }

  dropTable(table: TableName): void {
    this.tables.delete(tableKey(table, this.dialect));
  }

  dropColumn(table: TableName, column: string): void {
    this.tables.get(tableKey(table, this.dialect))?.delete(nameKey(column, this.dialect));
  }

  renameTable(from: TableName, to: TableName): void {
    const columns = this.tables.get(tableKey(from, this.dialect));
    this.dropTable(from);
    if (columns !== undefined) this.tables.set(tableKey(to, this.dialect), columns);
  }

  renameColumn(table: TableName, from: string, to: string): void {
    const facts = this.column(table, from);
    this.dropColumn(table, from);
    if (facts !== undefined) this.setColumn(table, to, facts);
  }
}
