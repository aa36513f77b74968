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

/** How a request on a kept socket that the peer had closed fails. */
const STALE_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

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

  /**
   * The answer's head; its body is the caller's to read or discard. A kept
   * socket that the registry closed while it sat idle fails the request
   * before any answer: sent again once on a new socket, as Go's client does
   * for GET and HEAD (otherwise a resync's HEAD fails now and then).
   */
  async send(url: URL, options: SendOptions): Promise<IncomingMessage> {
    const first = await this.attempt(url, options);
    if (!('stale' in first)) return first;
    const second = await this.attempt(url, options, true);
    if ('stale' in second) throw second.stale;
    return second;
  }

  private attempt(url: URL, options: SendOptions, freshSocket = false): Promise<IncomingMessage | { stale: OciError }> {
    const secure = url.protocol === 'https:';
    const request = secure ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      // `agent: false` for the retry: a new connection, not another kept one that may be as stale.
      const agent = freshSocket ? false : secure ? this.https : this.http;
      const req = request(url, { method: options.method, headers: options.headers ?? {}, agent, signal: options.signal, ...(secure && freshSocket ? { ca: this.https.options.ca } : {}) }, resolve);
      req.setTimeout(this.idleTimeoutMs, () => req.destroy(Object.assign(new Error(`no answer for ${this.idleTimeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', (e) => {
        if (options.signal?.aborted === true) return reject(new OciError('Transport', `${url.host}: aborted`, true, { cause: e }));
        const error = transportError(url, e);
        // (An error after the answer settles nothing: the promise already resolved with it.)
        if (!freshSocket && req.reusedSocket && STALE_SOCKET_CODES.has((e as NodeJS.ErrnoException).code ?? '')) resolve({ stale: error });
        else reject(error);
      });
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
