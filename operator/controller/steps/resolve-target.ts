/**
 * Step 2: the database URL, from `url`, `urlFrom` (a Secret key) or
 * `credentials` (parts, each possibly from a Secret). A missing Secret or
 * key is named with the field that points at it. The result carries a
 * fingerprint without the password, for the inputs hash and for keeping
 * two runs off one database.
 */
import type { AtlasMigrationSpec } from '../../api/generated/atlasmigration-types';
import { Reason } from '../../api/reasons';
import { buildDatabaseUrl, parseDatabaseUrl, type DatabaseUrl } from '../../migrate/dialects/database-url';
import { DriverError } from '../../migrate/dialects/errors';
import { apiFailureKind } from './api-failure';
import type { ObjectReader } from './object-reader';
import { StepError } from './step-error';

export interface Target {
  /** The URL with its password: only ever handed to the driver. */
  readonly url: string;
  readonly parsed: DatabaseUrl;
  /** Scheme, user, host, port, database and parameters; never the password. */
  readonly fingerprint: string;
  /** The database itself (host, port, database name or file), for mutual exclusion. */
  readonly database: string;
  /** Values read from Secrets, to be kept out of every message. */
  readonly secrets: readonly string[];
}

type SecretRef = { secretKeyRef: { name?: string; key: string } };

interface Resolution {
  readonly namespace: string;
  readonly reader: ObjectReader;
  readonly secrets: string[];
}

async function secretValue(r: Resolution, ref: SecretRef, field: string): Promise<string> {
  const name = ref.secretKeyRef.name ?? '';
  let secret;
  try {
    secret = await r.reader.secret(r.namespace, name);
  } catch (e) {
    throw new StepError(Reason.ResolvingTarget, apiFailureKind(e), `reading Secret ${JSON.stringify(name)} (${field}): ${(e as Error).message}`, { cause: e });
  }
  if (secret === undefined) throw new StepError(Reason.ResolvingTarget, 'permanent', `Secret ${JSON.stringify(name)} not found in namespace ${JSON.stringify(r.namespace)} (${field})`);
  const encoded = secret.data?.[ref.secretKeyRef.key];
  if (encoded === undefined) {
    throw new StepError(Reason.ResolvingTarget, 'permanent', `Secret ${JSON.stringify(name)} has no key ${JSON.stringify(ref.secretKeyRef.key)} (${field}.key)`);
  }
  const value = Buffer.from(encoded, 'base64').toString('utf8').trim();
  r.secrets.push(value);
  return value;
}

async function part(r: Resolution, literal: string | undefined, ref: SecretRef | undefined, field: string): Promise<string | undefined> {
  return ref === undefined ? literal : secretValue(r, ref, `spec.credentials.${field}From.secretKeyRef`);
}

async function fromCredentials(r: Resolution, c: NonNullable<AtlasMigrationSpec['credentials']>): Promise<string> {
  const password = await part(r, c.password, c.passwordFrom, 'password');
  if (c.password !== undefined && c.password !== '') r.secrets.push(c.password);
  return urlFromParts({
    scheme: c.scheme,
    host: (await part(r, c.host, c.hostFrom, 'host')) ?? '',
    ...optional('user', await part(r, c.user, c.userFrom, 'user')),
    ...optional('password', password),
    ...optional('port', c.port),
    ...optional('database', c.database),
    ...optional('parameters', c.parameters === undefined ? undefined : definedValues(c.parameters)),
  });
}

/** A part that no URL can hold (a scheme with a space…) is named with the field, as a Secret that is missing is. */
function urlFromParts(parts: Parameters<typeof buildDatabaseUrl>[0]): string {
  return asTargetError(() => buildDatabaseUrl(parts), 'spec.credentials: ');
}

function definedValues(map: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).filter((e): e is [string, string] => e[1] !== undefined));
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function fingerprintOf(u: DatabaseUrl): { fingerprint: string; database: string } {
  const params = [...u.params.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const database = `${u.dialect}://${u.host}:${u.port ?? ''}/${u.database ?? ''}`;
  return { database, fingerprint: `${u.scheme}://${u.user ?? ''}@${u.host}:${u.port ?? ''}/${u.database ?? ''}?${new URLSearchParams(params).toString()}` };
}

async function urlText(r: Resolution, spec: AtlasMigrationSpec): Promise<string> {
  if (spec.urlFrom !== undefined) return secretValue(r, spec.urlFrom, 'spec.urlFrom.secretKeyRef');
  if (spec.url !== undefined) return spec.url;
  if (spec.credentials !== undefined) return fromCredentials(r, spec.credentials);
  throw new StepError(Reason.ResolvingTarget, 'permanent', 'no target database defined: set url, urlFrom or credentials');
}

export async function resolveTarget(spec: AtlasMigrationSpec, namespace: string, reader: ObjectReader): Promise<Target> {
  const r: Resolution = { namespace, reader, secrets: [] };
  try {
    const url = await urlText(r, spec);
    const parsed = parseTarget(url);
    if (parsed.password !== undefined) r.secrets.push(parsed.password);
    return { url, parsed, ...fingerprintOf(parsed), secrets: r.secrets };
  } catch (e) {
    // Whatever failed, the values read so far must stay out of its message, the status and the logs.
    if (e instanceof StepError) e.secrets = [...r.secrets];
    throw e;
  }
}

function parseTarget(url: string): DatabaseUrl {
  return asTargetError(() => parseDatabaseUrl(url));
}

/** A driver's refusal of a URL (or its parts) as this step's permanent ResolvingTarget, its message after `prefix`. */
function asTargetError<T>(run: () => T, prefix = ''): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof DriverError) throw new StepError(Reason.ResolvingTarget, 'permanent', `${prefix}${e.message}`, { cause: e });
    throw e;
  }
}
