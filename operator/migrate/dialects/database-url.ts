/**
 * Database URLs as Atlas reads them (`mysql://`, `maria://`, `mariadb://`,
 * `postgres://`, `postgresql://`, `sqlite://`), their redacted form for
 * anything a person or a log sees, and assembly from parts (the CRD's
 * `credentials`) with correct escaping.
 */
import { InvalidUrlError, UnsupportedSchemeError } from './errors';
import { REDACTED, removeSecrets } from './secret-text';
import type { DialectName } from './syntax';

const SCHEMES: Readonly<Record<string, DialectName>> = Object.freeze({
  mysql: 'mysql',
  maria: 'mysql',
  mariadb: 'mysql',
  postgres: 'postgres',
  postgresql: 'postgres',
  sqlite: 'sqlite',
  sqlite3: 'sqlite',
});

export const SUPPORTED_SCHEMES: readonly string[] = Object.keys(SCHEMES);

export interface DatabaseUrl {
  /** The scheme as written (`maria`, `postgresql`…). */
  readonly scheme: string;
  readonly dialect: DialectName;
  readonly user: string | undefined;
  readonly password: string | undefined;
  /** Host name; for SQLite, the first part of the file path. */
  readonly host: string;
  readonly port: number | undefined;
  /** MySQL database / PostgreSQL database; for SQLite the file path (`:memory:` for mode=memory). */
  readonly database: string | undefined;
  readonly params: URLSearchParams;
  /** The URL with its password replaced, safe to print. */
  readonly redacted: string;
}

function decode(part: string, what: string, redacted: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new InvalidUrlError(`invalid database URL ${redacted}: bad percent-encoding in the ${what}`);
  }
}

/**
 * Masks the password of a URL-looking string without parsing it fully (for
 * unparsable input). Everything up to the last `@` counts as the password:
 * an unescaped one may hold `/`, `?` or `#`, and masking too much is safe.
 */
export function redactUrlText(text: string): string {
  return text.replace(/^([a-z0-9+.-]+:\/\/[^:/@?#]*):.*@/is, `$1:${REDACTED}@`);
}

function sqlitePath(url: URL, redacted: string): string {
  if (url.searchParams.get('mode') === 'memory') return ':memory:';
  const path = decode(url.host + url.pathname, 'path', redacted);
  if (path === '') throw new InvalidUrlError(`invalid database URL ${redacted}: missing the database file path`);
  return path;
}

/** Takes the password out of a parsed URL (in place), returning it decoded and the safe text. */
function redactPassword(url: URL, original: string): { password: string | undefined; redacted: string } {
  if (url.password === '') return { password: undefined, redacted: url.toString() };
  url.password = REDACTED;
  const redacted = url.toString();
  return { password: decode(new URL(original).password, 'password', redacted), redacted };
}

export function parseDatabaseUrl(text: string): DatabaseUrl {
  const schemeMatch = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (schemeMatch === null) {
    throw new InvalidUrlError(`invalid database URL ${JSON.stringify(redactUrlText(text))}: expected <scheme>://…`);
  }
  const scheme = (schemeMatch[1] ?? '').toLowerCase();
  const dialect = SCHEMES[scheme];
  if (dialect === undefined) throw new UnsupportedSchemeError(scheme, SUPPORTED_SCHEMES);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidUrlError(`invalid database URL ${JSON.stringify(redactUrlText(text))}`);
  }
  const { password, redacted } = redactPassword(url, text);
  const base = {
    scheme,
    dialect,
    user: url.username === '' ? undefined : decode(url.username, 'user', redacted),
    password,
    port: url.port === '' ? undefined : Number(url.port),
    params: url.searchParams,
    redacted,
  };
  if (dialect === 'sqlite') return { ...base, host: url.host, database: sqlitePath(url, redacted) };
  if (url.hostname === '') throw new InvalidUrlError(`invalid database URL ${redacted}: missing host`);
  const path = decode(url.pathname.replace(/^\//, ''), 'database name', redacted);
  if (path.includes('/')) throw new InvalidUrlError(`invalid database URL ${redacted}: the path must be a single database name`);
  return { ...base, host: url.hostname.replace(/^\[(.*)\]$/, '$1'), database: path === '' ? undefined : path };
}

export interface UrlParts {
  readonly scheme: string;
  readonly user?: string;
  readonly password?: string;
  readonly host: string;
  readonly port?: number;
  readonly database?: string;
  readonly parameters?: Readonly<Record<string, string>>;
}

/**
 * Builds a URL from parts, escaping each one, so a password such as
 * `p@ss:/w?rd` survives. Parameters are written in key order.
 */
function userInfo(user: string | undefined, password: string | undefined): string {
  if (user === undefined || user === '') return '';
  const secret = password === undefined || password === '' ? '' : ':' + encodeURIComponent(password);
  return encodeURIComponent(user) + secret + '@';
}

export function buildDatabaseUrl(parts: UrlParts): string {
  if (!/^[a-z][a-z0-9+.-]*$/i.test(parts.scheme)) throw new InvalidUrlError(`invalid URL scheme ${JSON.stringify(parts.scheme)}`);
  if (parts.host === '') throw new InvalidUrlError('a database host is required');
  const auth = userInfo(parts.user, parts.password);
  const host = parts.host.includes(':') && !parts.host.startsWith('[') ? `[${parts.host}]` : parts.host;
  const port = parts.port === undefined ? '' : `:${parts.port}`;
  const database = parts.database === undefined || parts.database === '' ? '' : '/' + encodeURIComponent(parts.database);
  const params = Object.entries(parts.parameters ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const query = params.length === 0 ? '' : '?' + new URLSearchParams(params).toString();
  return `${parts.scheme}://${auth}${host}${port}${database}${query}`;
}

/**
 * Removes a secret from a text, for database messages that might echo it,
 * by the same rule as the operator's SecretScrubber (secret-text.ts): with
 * the password `pass`, MySQL's "(using password: YES)" stays readable while
 * "login failed for pass" loses it; a long one anywhere; any one as a URL's
 * password.
 */
export function scrubSecret(text: string, secret: string | undefined): string {
  if (secret === undefined || secret === '') return text;
  return removeSecrets(text, [secret], (v) => v === secret);
}
