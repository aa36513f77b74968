/**
 * Opens the driver for a database URL. One frozen map from dialect to
 * factory; the engine never asks which database it talks to. Each driver
 * module (and knex with it, ~60 ms to load) is loaded on first use, so
 * commands that never connect start quickly.
 */
import { parseDatabaseUrl, type DatabaseUrl } from './database-url';
import type { Driver } from './driver';
import type { DriverOptions } from './knex-driver';
import type * as MySql from './mysql';
import type * as Postgres from './postgres';
import type * as Sqlite from './sqlite';
import type { DialectName } from './syntax';

/* eslint-disable @typescript-eslint/no-require-imports -- deferred loading is the point here */
const FACTORIES: Readonly<Record<DialectName, (url: DatabaseUrl, options: DriverOptions) => Driver>> = Object.freeze({
  mysql: (url, options) => new (require('./mysql') as typeof MySql).MySqlDriver(url, options),
  postgres: (url, options) => new (require('./postgres') as typeof Postgres).PostgresDriver(url, options),
  sqlite: (url, options) => new (require('./sqlite') as typeof Sqlite).SqliteDriver(url, options),
});
/* eslint-enable @typescript-eslint/no-require-imports */

/** Parses the URL and creates its driver. Connections open lazily; call `ping()` to check early. */
export function openDriver(url: string, options: DriverOptions = {}): Driver {
  const parsed = parseDatabaseUrl(url);
  return FACTORIES[parsed.dialect](parsed, options);
}
