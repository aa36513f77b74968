/**
 * A small HTTPS client for the Kubernetes API, authenticated by the
 * framework's KubeConfig (client certificates, bearer tokens, in-cluster
 * token files re-read as they rotate). The operator's own reads and writes
 * go through it: @dot-i/k8s-operator's status and finalizer writes swallow
 * their errors and send stale resourceVersions, so we do not use them.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { CodedError } from '../../migrate/dialects/coded-error';

/** An error answer of the API server, with its HTTP code and the Status reason (NotFound, Conflict, Expired…). */
export class ApiError extends CodedError<'Api'> {
  readonly code = 'Api';
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** The request could not be sent or the connection failed (no HTTP answer). */
export class ApiUnreachableError extends CodedError<'ApiUnreachable'> {
  readonly code = 'ApiUnreachable';
}

export interface ApiRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly body?: unknown;
  /** Default application/json; merge patches set application/merge-patch+json. */
  readonly contentType?: string;
  readonly accept?: string;
  readonly signal?: AbortSignal;
  /** Whole-request timeout for non-streaming calls. Default 30 s. */
  readonly timeoutMs?: number;
}

interface Transport {
  readonly agent: HttpAgent | HttpsAgent;
  readonly secure: boolean;
  readonly base: RequestOptions;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export class KubeClient {
  private transport: Promise<Transport> | undefined;

  /**
   * @param onRequest called once per request sent, when its answer's headers arrive with the HTTP status, or with `undefined` when it got no answer (for the API request metric).
   */
  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly onRequest: (method: ApiRequest['method'], watch: boolean, status: number | undefined) => void = () => undefined,
  ) {}

  /** The API server URL of the current context. */
  get server(): string {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (cluster === null) throw new ApiUnreachableError('the kubeconfig has no current cluster');
    return cluster.server;
  }

  private async makeTransport(): Promise<Transport> {
    const url = new URL(this.server);
    const opts: RequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(opts);
    const secure = url.protocol === 'https:';
    const base: RequestOptions = { hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port === '' ? (secure ? 443 : 80) : Number(url.port) };
    const tls = { ca: opts.ca, cert: opts.cert, key: opts.key, rejectUnauthorized: opts.rejectUnauthorized ?? true, servername: opts.servername };
    const agent = secure ? new HttpsAgent({ keepAlive: true, maxSockets: 32, ...tls }) : new HttpAgent({ keepAlive: true, maxSockets: 32 });
    return { agent, secure, base };
  }

  /** Authorization headers, computed per request (tokens rotate). */
  private async authHeaders(): Promise<OutgoingHttpHeaders> {
    const opts: RequestOptions & { headers?: OutgoingHttpHeaders; auth?: string } = {};
    await this.kubeConfig.applyToHTTPSOptions(opts);
    const headers: OutgoingHttpHeaders = { ...(opts.headers ?? {}) };
    if (opts.auth !== undefined && headers.Authorization === undefined) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    return headers;
  }

  /** Sends a request and resolves with the response once headers arrive (the body is left to the caller). */
  async open(req: ApiRequest): Promise<IncomingMessage> {
    this.transport ??= this.makeTransport().catch((e: unknown) => {
      this.transport = undefined; // a token file briefly missing must not break every later request
      throw e;
    });
    const t = await this.transport;
    const watch = req.path.includes('watch=1');
    const body = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    const headers: OutgoingHttpHeaders = {
      ...(await this.authHeaders()),
      Accept: req.accept ?? 'application/json',
      'User-Agent': 'atlas-k8s-migrator',
      ...(body === undefined ? {} : { 'Content-Type': req.contentType ?? 'application/json', 'Content-Length': body.length }),
    };
    const send = t.secure ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      let answered = false;
      const r = send({ ...t.base, agent: t.agent, method: req.method, path: req.path, headers, ...(req.signal === undefined ? {} : { signal: req.signal }) }, (res) => {
        answered = true;
        this.onRequest(req.method, watch, res.statusCode);
        resolve(res);
      });
      r.on('error', (e) => {
        if (!answered) this.onRequest(req.method, watch, undefined);
        reject(new ApiUnreachableError(`${req.method} ${req.path}: ${e.message}`, { cause: e }));
      });
      r.end(body);
    });
  }

  /** A JSON request; rejects with ApiError for any non-2xx answer. */
  async json<T>(req: ApiRequest): Promise<T> {
    const timeout = AbortSignal.timeout(req.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const signal = req.signal === undefined ? timeout : AbortSignal.any([req.signal, timeout]);
    const res = await this.open({ ...req, signal });
    const text = await readBody(res);
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) throw apiError(status, text, `${req.method} ${req.path}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  close(): void {
    void this.transport?.then((t) => t.agent.destroy());
  }
}

export async function readBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The API server's Status object as an ApiError. */
export function apiError(status: number, body: string, what: string): ApiError {
  let reason = '';
  let message = body.slice(0, 500);
  try {
    const s = JSON.parse(body) as { reason?: string; message?: string };
    reason = s.reason ?? '';
    message = s.message ?? message;
  } catch {
    // not a Status object: keep the raw text
  }
  return new ApiError(status, reason, `${what}: ${status} ${reason}: ${message}`.replace(/: : /, ': '));
}

export function isNotFound(e: unknown): boolean {
  return e instanceof ApiError && e.status === 404;
}

export function isConflict(e: unknown): boolean {
  return e instanceof ApiError && e.status === 409;
}

export interface ResourceRef {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: string;
}

/** `/api/v1/namespaces/ns/configmaps/name` or `/apis/group/version/…`. */
export function resourcePath(r: ResourceRef, query?: Record<string, string | undefined>): string {
  let path = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  if (r.namespace !== undefined) path += `/namespaces/${encodeURIComponent(r.namespace)}`;
  path += `/${r.plural}`;
  if (r.name !== undefined) path += `/${encodeURIComponent(r.name)}`;
  if (r.subresource !== undefined) path += `/${r.subresource}`;
  const params = Object.entries(query ?? {}).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '');
  return params.length === 0 ? path : `${path}?${new URLSearchParams(params).toString()}`;
}
