/**
 * Opens the driver for a database URL. One frozen map from dialect to
 * factory; the engine never asks which database it talks to.
 */
import { parseDatabaseUrl, type DatabaseUrl } from './database-url';
import type { Driver } from './driver';
import type { DriverOptions } from './knex-driver';
import { MySqlDriver } from './mysql';
import { PostgresDriver } from './postgres';
import { SqliteDriver } from './sqlite';
import type { DialectName } from './syntax';

const FACTORIES: Readonly<Record<DialectName, (url: DatabaseUrl, options: DriverOptions) => Driver>> = Object.freeze({
  mysql: (url, options) => new MySqlDriver(url, options),
  postgres: (url, options) => new PostgresDriver(url, options),
  sqlite: (url, options) => new SqliteDriver(url, options),
});

/** Parses the URL and creates its driver. Connections open lazily; call `ping()` to check early. */
export function openDriver(url: string, options: DriverOptions = {}): Driver {
  const parsed = parseDatabaseUrl(url);
  return FACTORIES[parsed.dialect](parsed, options);
}
