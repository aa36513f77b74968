/**
 * `spec.dir.oci`: the directory pulled from a registry. The pull Secret
 * (`kubernetes.io/dockerconfigjson`) and the CA Secret are read like every
 * other Secret (and watched: a change reconciles); the registry is asked
 * through operator/oci. A failure is `ReadingMigrationData` naming the
 * reference, and the Secret when it is about credentials. Failures that
 * come from the registry are marked `outsideCluster`: no watch will see
 * them fixed, so the resync retries them.
 */
import { X509Certificate } from 'node:crypto';
import { parseByteSize } from '../../api/oci-fields';
import type { AtlasMigrationSpec } from '../../api/generated/atlasmigration-types';
import { Reason } from '../../api/reasons';
import { credentialsFromDockerConfig, type Credentials } from '../../oci/auth';
import { OciError } from '../../oci/errors';
import type { PulledDirectory, PullRequest } from '../../oci/puller';
import { parseReference, type Reference } from '../../oci/reference';
import { apiFailureKind } from './api-failure';
import type { ObjectReader, SecretObject } from './object-reader';
import { StepError } from './step-error';

export type OciSpec = NonNullable<AtlasMigrationSpec['dir']['oci']>;

/** The registry client as the step uses it (operator/oci/puller.ts; a fake in tests). */
export interface OciDirectorySource {
  pull(request: PullRequest): Promise<PulledDirectory>;
  resolve(request: PullRequest): Promise<string>;
}

export interface OciAccess {
  readonly source: OciDirectorySource;
  /** Aborts a pull in progress (shutdown). */
  readonly signal?: AbortSignal;
}

export interface OciRead {
  readonly entries: [string, Buffer][];
  /** Where each file came from: `OCI artifact <ref>@<digest> layer 2 (…)`. */
  readonly origin: Map<string, string>;
  /** `OCI artifact registry/repo:tag@sha256:…` */
  readonly label: string;
  readonly digest: string;
  /** Values read from Secrets (the registry password), kept out of every message. */
  readonly secrets: readonly string[];
  /** For a tag: whether it names another manifest now (one HEAD). Undefined for a digest reference. */
  readonly moved?: () => Promise<boolean>;
}

export const DOCKER_CONFIG_JSON = 'kubernetes.io/dockerconfigjson';
const DOCKER_CONFIG_KEY = '.dockerconfigjson';

function failed(message: string, kind: 'permanent' | 'transient' = 'permanent', cause?: unknown): StepError {
  return new StepError(Reason.ReadingMigrationData, kind, message, cause === undefined ? undefined : { cause });
}

async function readSecret(reader: ObjectReader, namespace: string, name: string, field: string): Promise<SecretObject> {
  let secret: SecretObject | undefined;
  try {
    secret = await reader.secret(namespace, name);
  } catch (e) {
    throw failed(`reading Secret ${namespace}/${name} (${field}): ${(e as Error).message}`, apiFailureKind(e), e);
  }
  if (secret === undefined) throw failed(`Secret ${JSON.stringify(name)} not found in namespace ${JSON.stringify(namespace)} (${field})`);
  return secret;
}

interface Resolved {
  readonly request: PullRequest;
  readonly secrets: string[];
}

async function credentials(oci: OciSpec, ref: Reference, r: { namespace: string; reader: ObjectReader; secrets: string[] }): Promise<Credentials | undefined> {
  const { namespace, reader, secrets } = r;
  if (oci.pullSecret === undefined) return undefined;
  const name = oci.pullSecret.name;
  const where = `Secret ${namespace}/${name} (spec.dir.oci.pullSecret)`;
  const secret = await readSecret(reader, namespace, name, 'spec.dir.oci.pullSecret');
  if (secret.type !== undefined && secret.type !== DOCKER_CONFIG_JSON) throw failed(`${where} has type ${secret.type}; a pull Secret has type ${DOCKER_CONFIG_JSON}`);
  const encoded = secret.data?.[DOCKER_CONFIG_KEY];
  if (encoded === undefined) throw failed(`${where} has no key ${DOCKER_CONFIG_KEY}`);
  const registry = ref.registry;
  let found: Credentials | undefined;
  try {
    found = credentialsFromDockerConfig(Buffer.from(encoded, 'base64').toString('utf8'), registry, ref.repository);
  } catch (e) {
    throw failed(`${where}: ${DOCKER_CONFIG_KEY}: ${(e as Error).message}`, 'permanent', e);
  }
  if (found === undefined) throw failed(`${where} has no credentials for the registry ${registry} (no entry under "auths" for it)`);
  if (found.password !== '') secrets.push(found.password);
  return found;
}

async function caOf(oci: OciSpec, namespace: string, reader: ObjectReader): Promise<string | undefined> {
  const ref = oci.caSecretRef;
  if (ref === undefined) return undefined;
  const where = `Secret ${namespace}/${ref.name} (spec.dir.oci.caSecretRef)`;
  const secret = await readSecret(reader, namespace, ref.name, 'spec.dir.oci.caSecretRef');
  const encoded = secret.data?.[ref.key];
  if (encoded === undefined) throw failed(`${where} has no key ${JSON.stringify(ref.key)}`);
  const pem = Buffer.from(encoded, 'base64').toString('utf8');
  try {
    new X509Certificate(pem);
  } catch (e) {
    throw failed(`${where}: key ${JSON.stringify(ref.key)} is not a PEM certificate: ${(e as Error).message}`, 'permanent', e);
  }
  return pem;
}

/** What a pull needs, read from the spec and its Secrets (cluster-side failures only). */
export async function pullRequest(oci: OciSpec, namespace: string, reader: ObjectReader, signal?: AbortSignal): Promise<Resolved> {
  const secrets: string[] = [];
  let maxBytes: number;
  try {
    maxBytes = parseByteSize(oci.maxSize);
  } catch (e) {
    throw failed(`spec.dir.oci.maxSize: ${(e as Error).message}`);
  }
  if (oci.insecure === true && oci.caSecretRef !== undefined) throw failed('spec.dir.oci: insecure (plain HTTP) and caSecretRef (TLS) exclude each other');
  let ref: Reference;
  try {
    ref = parseReference(oci.ref);
  } catch (e) {
    throw e instanceof OciError ? registryFailure(e, oci, namespace) : e;
  }
  try {
    const creds = await credentials(oci, ref, { namespace, reader, secrets });
    const ca = await caOf(oci, namespace, reader);
    const request: PullRequest = {
      reference: oci.ref,
      maxBytes,
      ...(creds === undefined ? {} : { credentials: creds }),
      ...(ca === undefined ? {} : { ca }),
      ...(oci.insecure === true ? { insecure: true } : {}),
      ...(signal === undefined ? {} : { signal }),
    };
    return { request, secrets };
  } catch (e) {
    if (e instanceof StepError) e.secrets = [...secrets];
    throw e;
  }
}

/** An OciError as the step reports it: the reference first, the Secret when it is about credentials. */
export function registryFailure(e: OciError, oci: OciSpec, namespace: string): StepError {
  let message = `spec.dir.oci ${oci.ref}: ${e.message}`;
  if (e.code === 'Auth') {
    message +=
      oci.pullSecret === undefined
        ? `; no pull Secret is set: name a ${DOCKER_CONFIG_JSON} Secret in spec.dir.oci.pullSecret`
        : ` (credentials from Secret ${namespace}/${oci.pullSecret.name}, spec.dir.oci.pullSecret)`;
  }
  const error = failed(message, e.retryable ? 'transient' : 'permanent', e);
  // A bad reference is the spec's; anything else is the registry's, which no watch sees change.
  error.outsideCluster = e.code !== 'Reference';
  return error;
}

function labelOf(pulled: PulledDirectory, ref: string): string {
  return `OCI artifact ${ref.includes('@') ? ref : `${ref}@${pulled.digest}`}`;
}

export async function readOci(oci: OciSpec, namespace: string, reader: ObjectReader, access: OciAccess): Promise<OciRead> {
  const { request, secrets } = await pullRequest(oci, namespace, reader, access.signal);
  let pulled: PulledDirectory;
  try {
    pulled = await access.source.pull(request);
  } catch (e) {
    const error = e instanceof OciError ? registryFailure(e, oci, namespace) : failed(`spec.dir.oci ${oci.ref}: ${(e as Error).message}`, 'transient', e);
    error.secrets = [...secrets];
    throw error;
  }
  const label = labelOf(pulled, oci.ref);
  const entries: [string, Buffer][] = pulled.files.map((f) => [f.name, f.content]);
  const origin = new Map(pulled.files.map((f) => [f.name, `${label} ${f.origin}`]));
  const digest = pulled.digest;
  const moved =
    pulled.reference.digest !== undefined
      ? undefined
      : async (): Promise<boolean> => {
          const again = await pullRequest(oci, namespace, reader, access.signal);
          return (await access.source.resolve(again.request)) !== digest;
        };
  return { entries, origin, label, digest, secrets, ...(moved === undefined ? {} : { moved }) };
}
