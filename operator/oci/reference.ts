/**
 * Image references as the distribution spec and Docker write them:
 * `registry[:port]/repository[:tag][@sha256:<hex>]`. The registry must be
 * named (a host with a dot or a port, `localhost`, or an IP address):
 * `team/migrations:v1` does not silently mean Docker Hub. `docker.io`
 * itself is served by `registry-1.docker.io`.
 */
import { referenceError } from './errors';

export interface Reference {
  /** The registry as written (`registry.example.com:5000`), the key of credentials. */
  readonly registry: string;
  /** The host and port requests go to. */
  readonly endpoint: string;
  readonly repository: string;
  readonly tag?: string;
  /** `sha256:<64 hex>`; when both are given, the digest decides and the tag is informative. */
  readonly digest?: string;
}

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const REPOSITORY = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const HOST = /^(?:\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)(?::[0-9]{1,5})?$/;

function isRegistryHost(first: string): boolean {
  return first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('[');
}

/** `name:tag@digest` → its parts, each checked. */
function splitName(text: string, rest: string): { name: string; tag?: string; digest?: string } {
  const at = rest.indexOf('@');
  const digest = at === -1 ? undefined : rest.slice(at + 1);
  if (digest !== undefined && !DIGEST.test(digest)) throw referenceError(`${JSON.stringify(text)}: the digest must be sha256:<64 lower-case hex digits>`);
  const named = at === -1 ? rest : rest.slice(0, at);
  const colon = named.lastIndexOf(':');
  const tag = colon === -1 ? undefined : named.slice(colon + 1);
  if (tag !== undefined && !TAG.test(tag)) throw referenceError(`${JSON.stringify(text)}: invalid tag ${JSON.stringify(tag)}`);
  return { name: colon === -1 ? named : named.slice(0, colon), ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}

export function parseReference(text: string): Reference {
  const slash = text.indexOf('/');
  const first = slash === -1 ? '' : text.slice(0, slash);
  if (slash === -1 || !isRegistryHost(first) || !HOST.test(first)) {
    throw referenceError(`${JSON.stringify(text)} does not start with a registry host (registry.example.com/team/migrations:v1; Docker Hub is docker.io/…)`);
  }
  const { name: rest, ...version } = splitName(text, text.slice(slash + 1));
  if (!REPOSITORY.test(rest)) throw referenceError(`${JSON.stringify(text)}: invalid repository name ${JSON.stringify(rest)} (lower-case letters, digits, separators . _ __ -, and /)`);
  if (version.tag === undefined && version.digest === undefined) throw referenceError(`${JSON.stringify(text)}: name a tag (:v1) or a digest (@sha256:…)`);
  const hub = first === 'docker.io';
  const endpoint = hub ? 'registry-1.docker.io' : first;
  const repository = hub && !rest.includes('/') ? `library/${rest}` : rest;
  return { registry: first, endpoint, repository, ...version };
}

/** What the manifest is fetched by: the digest when known, else the tag. */
export function manifestReference(ref: Reference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

export function formatReference(ref: Reference): string {
  return `${ref.registry}/${ref.repository}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}
