/**
 * The `atlas_schema_revisions` table: Atlas's columns and exact SQL types per
 * dialect (Atlas alters an existing table to its own shape, so any other
 * type would be "fixed" by the next Atlas run), and the mapping between
 * database rows and Revision values.
 */
import type { Revision } from './revision';
import type { DialectName } from './syntax';

export const REVISIONS_TABLE = 'atlas_schema_revisions';
/** Where revisions live when the URL names no schema. */
export const DEFAULT_REVISIONS_SCHEMA = 'atlas_schema_revisions';
/** Atlas Cloud's marker row; never read or written as a revision. */
export const CLOUD_IDENTIFIER_VERSION = '.atlas_cloud_identifier';

type ColumnKind = 'string' | 'uint' | 'int' | 'time' | 'text' | 'json';

interface ColumnSpec {
  readonly name: string;
  readonly kind: ColumnKind;
  readonly nullable: boolean;
  readonly defaultValue?: number;
}

/** In table order; primary key `version`. */
export const REVISION_COLUMNS: readonly ColumnSpec[] = [
  { name: 'version', kind: 'string', nullable: false },
  { name: 'description', kind: 'string', nullable: false },
  { name: 'type', kind: 'uint', nullable: false, defaultValue: 2 },
  { name: 'applied', kind: 'int', nullable: false, defaultValue: 0 },
  { name: 'total', kind: 'int', nullable: false, defaultValue: 0 },
  { name: 'executed_at', kind: 'time', nullable: false },
  { name: 'execution_time', kind: 'int', nullable: false },
  { name: 'error', kind: 'text', nullable: true },
  { name: 'error_stmt', kind: 'text', nullable: true },
  { name: 'hash', kind: 'string', nullable: false },
  { name: 'partial_hashes', kind: 'json', nullable: true },
  { name: 'operator_version', kind: 'string', nullable: false },
];

/** Columns an upsert leaves alone: the first write's description and time stay. */
const IMMUTABLE = new Set(['version', 'description', 'executed_at']);

export interface ColumnTypes {
  readonly types: Readonly<Record<ColumnKind, string>>;
  /** MariaDB and MySQL < 8.0.2 declare `timestamp` columns NULL so that NULL never means "now". */
  readonly timeNullable: boolean;
}

export function columnTypes(dialect: DialectName, flavor: { mariadb?: boolean; legacyVarchar?: boolean } = {}): ColumnTypes {
  switch (dialect) {
    case 'mysql': {
      const varchar = flavor.legacyVarchar === true ? 'varchar(191)' : 'varchar(255)';
      return {
        types: { string: varchar, uint: 'bigint unsigned', int: 'bigint', time: 'timestamp', text: 'longtext', json: 'json' },
        timeNullable: flavor.mariadb === true,
      };
    }
    case 'postgres':
      return {
        types: { string: 'character varying', uint: 'bigint', int: 'bigint', time: 'timestamptz', text: 'text', json: 'jsonb' },
        timeNullable: false,
      };
    case 'sqlite':
      return {
        types: { string: 'text', uint: 'integer', int: 'integer', time: 'datetime', text: 'text', json: 'json' },
        timeNullable: false,
      };
  }
}

function quote(dialect: DialectName, name: string): string {
  return dialect === 'postgres' ? `"${name.replaceAll('"', '""')}"` : '`' + name.replaceAll('`', '``') + '`';
}

/**
 * The CREATE TABLE statement as Atlas prints it (written out rather than
 * built with knex's schema builder, which quotes numeric defaults and
 * upper-cases SQLite types: Atlas would see a different table).
 */
export function revisionsTableDdl(dialect: DialectName, schema: string | undefined, types: ColumnTypes): string {
  const columns = REVISION_COLUMNS.map((c) => {
    const nullable = c.nullable || (c.kind === 'time' && types.timeNullable);
    const def = c.defaultValue === undefined ? '' : ` DEFAULT ${c.defaultValue}`;
    return `${quote(dialect, c.name)} ${types.types[c.kind]} ${nullable ? 'NULL' : 'NOT NULL'}${def}`;
  });
  const table = (schema === undefined ? '' : quote(dialect, schema) + '.') + quote(dialect, REVISIONS_TABLE);
  const options = dialect === 'mysql' ? ' CHARSET utf8mb4 COLLATE utf8mb4_bin' : '';
  return `CREATE TABLE ${table} (${columns.join(', ')}, PRIMARY KEY (${quote(dialect, 'version')}))${options}`;
}

/** Go's default rendering of a time.Time in SQLite (mattn/go-sqlite3): `2006-01-02 15:04:05.999999999-07:00`. */
export function sqliteTime(d: Date): string {
  const iso = d.toISOString(); // 2026-11-26T11:20:36.123Z
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction === '' ? '' : '.' + fraction}+00:00`;
}

function parseTime(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'string') {
    // "2006-01-02 15:04:05.123+00:00" and ISO strings both parse once the space is a "T".
    const d = new Date(value.replace(' ', 'T').replace(/([+-]\d\d:\d\d)$/, '$1'));
    if (!Number.isNaN(d.getTime())) return d;
  }
  if (typeof value === 'number') return new Date(value);
  return new Date(0);
}

function parseHashes(value: unknown): string[] | null {
  // Atlas's SQLite driver stores the JSON as a blob; MySQL may hand back a string or parsed JSON.
  const raw = Buffer.isBuffer(value) ? value.toString('utf8') : value;
  const parsed: unknown = typeof raw === 'string' ? JSON.parse(raw) : raw;
  if (parsed === null || parsed === undefined) return null;
  if (!Array.isArray(parsed)) return null;
  return parsed.map(String);
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return '';
}

/** A database row as a Revision (bigint columns may arrive as strings). */
export function rowToRevision(row: Record<string, unknown>): Revision {
  return {
    version: text(row.version),
    description: text(row.description),
    type: Number(row.type),
    applied: Number(row.applied),
    total: Number(row.total),
    executedAt: parseTime(row.executed_at),
    executionTime: Number(row.execution_time),
    error: text(row.error),
    errorStmt: text(row.error_stmt),
    hash: text(row.hash),
    partialHashes: parseHashes(row.partial_hashes),
    operatorVersion: text(row.operator_version),
  };
}

/** A Revision as column values; `partial_hashes` is compact JSON, `null` (the JSON literal) when empty. */
export function revisionToRow(r: Revision, dialect: DialectName): Record<string, unknown> {
  return {
    version: r.version,
    description: r.description,
    type: r.type,
    applied: r.applied,
    total: r.total,
    executed_at: dialect === 'sqlite' ? sqliteTime(r.executedAt) : r.executedAt,
    execution_time: r.executionTime,
    error: r.error,
    error_stmt: r.errorStmt,
    hash: r.hash,
    // Compact JSON, `null` (the JSON literal) when empty; a blob on SQLite, as Atlas writes it.
    partial_hashes: dialect === 'sqlite' ? Buffer.from(JSON.stringify(r.partialHashes)) : JSON.stringify(r.partialHashes),
    operator_version: r.operatorVersion,
  };
}

export const MUTABLE_COLUMNS: readonly string[] = REVISION_COLUMNS.map((c) => c.name).filter((n) => !IMMUTABLE.has(n));
export const COLUMN_NAMES: readonly string[] = REVISION_COLUMNS.map((c) => c.name);
