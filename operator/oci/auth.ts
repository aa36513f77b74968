/**
 * Registry authentication as the distribution spec's token flow and Docker
 * clients do it: a 401 names its scheme in `WWW-Authenticate`; `Basic`
 * takes the credentials on each request, `Bearer realm=…,service=…,scope=…`
 * sends them (if any) to the realm, which answers a token for the scope.
 * Credentials come from a Docker config (`.dockerconfigjson`), looked up by
 * registry host as the kubelet does (longest matching path wins).
 */
import { formatError } from './errors';

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

export interface Challenge {
  /** Lower-case: `basic` or `bearer` (others are reported, not answered). */
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN = /[\w!#$%&'*+.^`|~-]/;

function readToken(text: string, at: number): [string, number] {
  let i = at;
  while (i < text.length && TOKEN.test(text.charAt(i))) i++;
  return [text.slice(at, i), i];
}

function readValue(text: string, at: number): [string, number] {
  if (text.charAt(at) !== '"') {
    // A bare value is a token by the RFC; registries write bare URLs too, so read up to the next separator.
    let i = at;
    while (i < text.length && !/[\s,]/.test(text.charAt(i))) i++;
    return [text.slice(at, i), i];
  }
  let value = '';
  let i = at + 1;
  while (i < text.length && text.charAt(i) !== '"') {
    if (text.charAt(i) === '\\') i++;
    value += text.charAt(i);
    i++;
  }
  return [value, i + 1];
}

function skip(text: string, at: number, chars: RegExp): number {
  let i = at;
  while (i < text.length && chars.test(text.charAt(i))) i++;
  return i;
}

/**
 * Parses `WWW-Authenticate` (RFC 7235): `Bearer realm="https://auth",
 * service="registry", scope="repository:a:pull"`, several challenges
 * possibly, commas separating both challenges and their parameters.
 */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const text = Array.isArray(header) ? header.join(', ') : (header ?? '');
  const challenges: { scheme: string; params: Record<string, string> }[] = [];
  let i = 0;
  while (i < text.length) {
    i = skip(text, i, /[\s,]/);
    const [token, after] = readToken(text, i);
    if (token === '') {
      i++;
      continue;
    }
    i = skip(text, after, /\s/);
    const current = challenges[challenges.length - 1];
    if (text.charAt(i) === '=' && current !== undefined) {
      const [value, next] = readValue(text, skip(text, i + 1, /\s/));
      current.params[token.toLowerCase()] = value;
      i = next;
    } else {
      challenges.push({ scheme: token.toLowerCase(), params: {} });
    }
  }
  return challenges;
}

export function basicAuthorization(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

/** The registry names a Docker config may use for a host: docker.io has several. */
function hostAliases(registry: string): string[] {
  return registry === 'docker.io' || registry === 'index.docker.io' || registry === 'registry-1.docker.io' ? ['docker.io', 'index.docker.io', 'registry-1.docker.io'] : [registry];
}

/** `https://host:5000/v1/` → `host:5000`; `host/team` → `host/team`. */
function normalizeKey(key: string): string {
  return key
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/v[12]\/?$/, '')
    .replace(/\/+$/, '');
}

interface AuthEntry {
  readonly auth?: string;
  readonly username?: string;
  readonly password?: string;
  readonly identitytoken?: string;
}

function entryCredentials(entry: AuthEntry, key: string): Credentials {
  if (typeof entry.username === 'string' && typeof entry.password === 'string' && entry.username !== '') return { username: entry.username, password: entry.password };
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    throw formatError(`the entry for ${JSON.stringify(key)} has an "auth" that is not base64 of user:password`);
  }
  if (typeof entry.identitytoken === 'string') throw formatError(`the entry for ${JSON.stringify(key)} has only an identitytoken (OAuth2 refresh token), which is not supported: give username and password`);
  throw formatError(`the entry for ${JSON.stringify(key)} has neither "auth" nor "username" and "password"`);
}

/**
 * The credentials a Docker config (`{"auths": {…}}`, or the older bare map)
 * holds for a repository, or undefined when it has none for this registry.
 * Malformed content throws (a Format OciError).
 */
function authsOf(json: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    throw formatError(`not JSON: ${(e as Error).message}`, e);
  }
  if (parsed === null || typeof parsed !== 'object') throw formatError('not a JSON object');
  const auths = 'auths' in parsed ? parsed.auths : parsed;
  if (auths === null || typeof auths !== 'object') throw formatError('"auths" is not an object');
  return auths as Record<string, unknown>;
}

/** How well a config key matches: -1 not at all, else the length of its path (longer is better). */
function matchLength(key: string, hosts: readonly string[], repository: string): number {
  const normal = normalizeKey(key);
  const slash = normal.indexOf('/');
  const host = slash === -1 ? normal : normal.slice(0, slash);
  const path = slash === -1 ? '' : normal.slice(slash + 1);
  if (!hosts.includes(host.toLowerCase())) return -1;
  return path === '' || repository === path || repository.startsWith(`${path}/`) ? path.length : -1;
}

/**
 * The credentials a Docker config (`{"auths": {…}}`, or the older bare map)
 * holds for a repository, or undefined when it has none for this registry.
 * Malformed content throws (a Format OciError).
 */
export function credentialsFromDockerConfig(json: string, registry: string, repository: string): Credentials | undefined {
  const hosts = hostAliases(registry);
  let best: { key: string; entry: AuthEntry; length: number } | undefined;
  for (const [key, entry] of Object.entries(authsOf(json))) {
    const length = matchLength(key, hosts, repository);
    if (length > (best?.length ?? -1)) best = { key, entry: (entry ?? {}), length };
  }
  return best === undefined ? undefined : entryCredentials(best.entry, best.key);
}
