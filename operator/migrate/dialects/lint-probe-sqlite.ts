/**
 * SQLite live checks. The database is a local file: a query can only wait
 * on another process's write lock, which `busy_timeout` bounds (set to the
 * probe timeout for the probe's duration, then restored). Identifiers are
 * case-insensitive in SQLite, so names are matched that way.
 */
import type { Database } from 'better-sqlite3';
import { matchName, textsOf, type ProbeBackend, type ResolvedTable, type TableRef } from './lint-probe';

const BUSY_CODES = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED']);

export function quoteSqliteIdent(name: string): string {
  return '"' + name.replaceAll('"', '""') + '"';
}

export class SqliteProbeBackend implements ProbeBackend {
  private savedBusyTimeout: number | undefined;

  constructor(
    private readonly db: Database,
    private readonly timeoutMs: number,
  ) {}

  prepare(): Promise<void> {
    this.savedBusyTimeout = Number(this.db.pragma('busy_timeout', { simple: true }));
    this.db.pragma(`busy_timeout = ${Math.max(1, Math.round(this.timeoutMs))}`);
    return Promise.resolve();
  }

  finish(): Promise<void> {
    if (this.savedBusyTimeout !== undefined) this.db.pragma(`busy_timeout = ${this.savedBusyTimeout}`);
    this.savedBusyTimeout = undefined;
    return Promise.resolve();
  }

  quote(name: string): string {
    return quoteSqliteIdent(name);
  }

  select(sql: string): Promise<Record<string, unknown>[]> {
    return this.all(sql, []);
  }

  isTimeout(error: unknown): boolean {
    return BUSY_CODES.has((error as { code?: string }).code ?? '');
  }

  async findTable(ref: TableRef): Promise<ResolvedTable | undefined> {
    const schema = await this.findSchema(ref.schema);
    if (schema === undefined) return undefined;
    // The schema name is the catalog's own (from database_list), quoted; the table name is bound.
    const rows = await this.all(`SELECT name FROM ${this.quote(schema)}.sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE`, [
      ref.table,
    ]);
    const table = matchName(ref.table, textsOf(rows, 'name'));
    return table === undefined ? undefined : { schema, table };
  }

  async columnsOf(table: ResolvedTable): Promise<readonly string[]> {
    const rows = await this.all('SELECT name FROM pragma_table_info(?, ?)', [table.table, table.schema]);
    return textsOf(rows, 'name');
  }

  async findSchema(schema: string | undefined): Promise<string | undefined> {
    if (schema === undefined) return 'main';
    const rows = await this.all('SELECT name FROM pragma_database_list', []);
    return matchName(schema, textsOf(rows, 'name'));
  }

  async tableCount(schema: string): Promise<number> {
    const [row] = await this.all(`SELECT COUNT(*) AS n FROM ${this.quote(schema)}.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'`, []);
    return Number(row?.n ?? 0);
  }

  /** better-sqlite3 is synchronous; async keeps its errors (SQLITE_BUSY) on the promise like the other dialects'. */
  // eslint-disable-next-line @typescript-eslint/require-await
  private async all(sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]> {
    return this.db.prepare(sql).all(...params) as Record<string, unknown>[];
  }
}
