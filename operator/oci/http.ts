/**
 * The wire under the registry client: node:http and node:https with
 * keep-alive agents, a CA added to the system roots, an idle timeout, an
 * abort signal, and bodies read with a byte limit (and hashed on the way).
 * No registry semantics here.
 */
import { createHash } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { OciError, sizeError } from './errors';

export interface TransportOptions {
  /** A PEM CA (bundle) trusted besides the system roots. */
  readonly ca?: string;
  /** Socket idle timeout: no byte for this long fails the request. Default 30 s. */
  readonly idleTimeoutMs?: number;
  /** Sockets per host (blobs are fetched in parallel). Default 8. */
  readonly maxSockets?: number;
}

export interface SendOptions {
  readonly method: 'GET' | 'HEAD';
  readonly headers?: OutgoingHttpHeaders;
  readonly signal?: AbortSignal;
}

/** OpenSSL's verification failures: a configuration matter (the CA), not worth retrying. */
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function transportError(url: URL, e: unknown): OciError {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  const message = (e as Error).message;
  if (TLS_CODES.has(code)) {
    return new OciError('Tls', `TLS to ${url.host} failed: ${message} (${code}); give the registry's CA in spec.dir.oci.caSecretRef`, false, { cause: e });
  }
  if (code === 'EPROTO' || /wrong version number|packet length too long/i.test(message)) {
    return new OciError('Tls', `TLS to ${url.host} failed: ${message}; does the registry speak plain HTTP (spec.dir.oci.insecure)?`, false, { cause: e });
  }
  return new OciError('Transport', `${url.host}: ${message}${code !== '' && !message.includes(code) ? ` (${code})` : ''}`, true, { cause: e });
}

export class Transport {
  private readonly https: HttpsAgent;
  private readonly http: HttpAgent;
  private readonly idleTimeoutMs: number;

  constructor(options: TransportOptions = {}) {
    const maxSockets = options.maxSockets ?? 8;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
    this.https = new HttpsAgent({ keepAlive: true, maxSockets, ...(options.ca === undefined ? {} : { ca: [...rootCertificates, options.ca] }) });
    this.http = new HttpAgent({ keepAlive: true, maxSockets });
  }

  /** The answer's head; its body is the caller's to read or discard. */
  send(url: URL, options: SendOptions): Promise<IncomingMessage> {
    const secure = url.protocol === 'https:';
    const request = secure ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(url, { method: options.method, headers: options.headers ?? {}, agent: secure ? this.https : this.http, signal: options.signal }, resolve);
      req.setTimeout(this.idleTimeoutMs, () => req.destroy(Object.assign(new Error(`no answer for ${this.idleTimeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', (e) => reject(options.signal?.aborted === true ? new OciError('Transport', `${url.host}: aborted`, true, { cause: e }) : transportError(url, e)));
      req.end();
    });
  }

  close(): void {
    this.https.destroy();
    this.http.destroy();
  }
}

export interface ReadBody {
  readonly bytes: Buffer;
  /** `sha256:<hex>` of the bytes. */
  readonly digest: string;
}

/**
 * Reads a body whole, failing as soon as it passes `limit` bytes (before
 * buffering more). `onBytes` sees each chunk's length, for limits that span
 * several bodies; it may throw to stop the read.
 */
export async function readBody(res: IncomingMessage, limit: number, what: string, onBytes: (n: number) => void = () => undefined): Promise<ReadBody> {
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      length += chunk.length;
      if (length > limit) throw sizeError(`${what} is larger than ${limit} bytes`);
      onBytes(chunk.length);
      hash.update(chunk);
      chunks.push(chunk);
    }
  } catch (e) {
    res.destroy();
    if (e instanceof OciError) throw e;
    throw new OciError('Transport', `${what}: reading the answer failed: ${(e as Error).message}`, true, { cause: e });
  }
  return { bytes: Buffer.concat(chunks, length), digest: `sha256:${hash.digest('hex')}` };
}

/** Reads a small body as text (error answers), at most `limit` bytes; never throws. */
export async function readText(res: IncomingMessage, limit = 4096): Promise<string> {
  try {
    return (await readBody(res, 65_536, 'answer')).bytes.subarray(0, limit).toString('utf8');
  } catch {
    return '';
  }
}

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
