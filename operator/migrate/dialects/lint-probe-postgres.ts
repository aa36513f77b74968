/**
 * PostgreSQL live checks: each query runs alone in `BEGIN READ ONLY` with
 * `statement_timeout` and `lock_timeout` set for that transaction only, then
 * rolls back. A SELECT's ACCESS SHARE lock is released with the rollback,
 * so a probe never queues a migration behind it for longer than the timeout.
 */
import type { Client } from 'pg';
import { matchName, textOf, textsOf, type ProbeBackend, type ResolvedTable, type TableRef } from './lint-probe';

/** query_canceled (statement_timeout) and lock_not_available (lock_timeout). */
const TIMEOUT_CODES = new Set(['57014', '55P03']);

export function quotePostgresIdent(name: string): string {
  return '"' + name.replaceAll('"', '""') + '"';
}

const TABLE_SQL = `
  SELECT n.nspname AS schema, c.relname AS name
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p', 'm', 'f')`;

const COLUMNS_SQL = `
  SELECT attname AS name FROM pg_catalog.pg_attribute
  WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`;

const SCHEMAS_SQL = 'SELECT nspname AS name FROM pg_catalog.pg_namespace WHERE lower(nspname) = lower($1)';

const TABLE_COUNT_SQL = `
  SELECT COUNT(*) AS n FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')`;

/** The spellings to try: as written (a quoted identifier), then folded as PostgreSQL folds unquoted ones. */
function spellings(ref: TableRef): TableRef[] {
  const folded = { table: ref.table.toLowerCase(), ...(ref.schema === undefined ? {} : { schema: ref.schema.toLowerCase() }) };
  return folded.table === ref.table && folded.schema === ref.schema ? [ref] : [ref, folded];
}

export class PostgresProbeBackend implements ProbeBackend {
  constructor(
    private readonly conn: Client,
    private readonly timeoutMs: number,
  ) {}

  prepare(): Promise<void> {
    return Promise.resolve();
  }

  finish(): Promise<void> {
    return Promise.resolve();
  }

  quote(name: string): string {
    return quotePostgresIdent(name);
  }

  select(sql: string): Promise<Record<string, unknown>[]> {
    return this.bounded(sql, []);
  }

  isTimeout(error: unknown): boolean {
    return TIMEOUT_CODES.has((error as { code?: string }).code ?? '');
  }

  async findTable(ref: TableRef): Promise<ResolvedTable | undefined> {
    for (const candidate of spellings(ref)) {
      // to_regclass parses the quoted name as the server would and resolves it through search_path.
      const name = candidate.schema === undefined ? this.quote(candidate.table) : `${this.quote(candidate.schema)}.${this.quote(candidate.table)}`;
      const [row] = await this.bounded(TABLE_SQL, [name]);
      const schema = textOf(row?.schema);
      const table = textOf(row?.name);
      if (schema !== undefined && table !== undefined) return { schema, table };
    }
    return undefined;
  }

  async columnsOf(table: ResolvedTable): Promise<readonly string[]> {
    const rows = await this.bounded(COLUMNS_SQL, [`${this.quote(table.schema)}.${this.quote(table.table)}`]);
    return textsOf(rows, 'name');
  }

  async findSchema(schema: string | undefined): Promise<string | undefined> {
    if (schema === undefined) {
      const [row] = await this.bounded('SELECT current_schema() AS name', []);
      return textOf(row?.name);
    }
    const rows = await this.bounded(SCHEMAS_SQL, [schema]);
    return matchName(schema, textsOf(rows, 'name'));
  }

  async tableCount(schema: string): Promise<number> {
    const [row] = await this.bounded(TABLE_COUNT_SQL, [schema]);
    return Number(row?.n ?? 0);
  }

  /** One query in its own read-only transaction, bounded by the timeout for running and for waiting on locks. */
  private async bounded(sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]> {
    const ms = Math.max(1, Math.round(this.timeoutMs));
    await this.conn.query(`BEGIN READ ONLY; SET LOCAL statement_timeout = ${ms}; SET LOCAL lock_timeout = ${ms}`);
    try {
      const result = await this.conn.query<Record<string, unknown>>(sql, [...params]);
      return result.rows;
    } finally {
      await this.conn.query('ROLLBACK');
    }
  }
}
