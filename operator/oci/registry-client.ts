/**
 * One repository of one registry, spoken to as the OCI distribution spec
 * says: `/v2/<name>/manifests/<reference>` and `/v2/<name>/blobs/<digest>`,
 * behind the auth a 401 asks for (Basic, or the Bearer token flow: the
 * realm answers a token for `repository:<name>:pull`, fetched with the
 * credentials if any, anonymously otherwise), following redirects (blob
 * stores; Authorization is never sent to another host). Plain HTTP only
 * when asked (`insecure`).
 */
import type { IncomingMessage } from 'node:http';
import { basicAuthorization, type Challenge, type Credentials, parseChallenges } from './auth';
import { OciError } from './errors';
import { header, readBody, readText, type Transport } from './http';
import type { Reference } from './reference';

export interface ClientOptions {
  readonly transport: Transport;
  readonly credentials?: Credentials;
  /** Speak plain HTTP to the registry. */
  readonly insecure?: boolean;
  readonly signal?: AbortSignal;
}

const MAX_REDIRECTS = 5;
const TOKEN_ANSWER_LIMIT = 1024 * 1024;

/** The registry's JSON error body (`{"errors":[{"code","message"}]}`) as one line, or the text's start. */
function errorDetail(text: string): string {
  try {
    const parsed = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const errors = (parsed.errors ?? []).map((e) => [e.code, e.message].filter((x) => x !== undefined && x !== '').join(': '));
    if (errors.length > 0) return errors.join('; ');
  } catch {
    // not JSON
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}

/** `{"token": …}` or OAuth2's `{"access_token": …}`. */
function tokenOf(body: Buffer, service: string): string {
  let answer: { token?: unknown; access_token?: unknown };
  try {
    answer = JSON.parse(body.toString('utf8')) as typeof answer;
  } catch {
    throw new OciError('Auth', `${service} answered something that is not JSON`, false);
  }
  const token = typeof answer.token === 'string' && answer.token !== '' ? answer.token : answer.access_token;
  if (typeof token !== 'string' || token === '') throw new OciError('Auth', `${service} answered no token`, false);
  return token;
}

function sameOrigin(a: URL, b: URL): boolean {
  return a.protocol === b.protocol && a.host === b.host;
}

export class RegistryClient {
  private authorization: string | undefined;
  private readonly base: URL;

  constructor(
    readonly ref: Reference,
    private readonly options: ClientOptions,
  ) {
    this.base = new URL(`${options.insecure === true ? 'http' : 'https'}://${ref.endpoint}/`);
  }

  /** `/v2/<repository>/<kind>/<reference>` on the registry. */
  url(kind: 'manifests' | 'blobs', reference: string): URL {
    return new URL(`/v2/${this.ref.repository}/${kind}/${reference}`, this.base);
  }

  /**
   * Sends a GET or HEAD, authenticating and following redirects; answers a
   * 2xx response (body unread) or throws an OciError for anything else.
   */
  async fetch(method: 'GET' | 'HEAD', url: URL, accept: string | undefined, what: string): Promise<IncomingMessage> {
    let res = await this.sendFollowing(method, url, accept);
    if (res.statusCode === 401) {
      const challenge = await this.answerChallenge(res, what);
      if (challenge) res = await this.sendFollowing(method, url, accept);
    }
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return res;
    throw await this.failure(res, what);
  }

  private async sendFollowing(method: 'GET' | 'HEAD', start: URL, accept: string | undefined): Promise<IncomingMessage> {
    let url = start;
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = {};
      if (accept !== undefined) headers.accept = accept;
      if (this.authorization !== undefined && sameOrigin(url, this.base)) headers.authorization = this.authorization;
      const res = await this.options.transport.send(url, { method, headers, ...(this.options.signal === undefined ? {} : { signal: this.options.signal }) });
      const location = header(res.headers, 'location');
      const status = res.statusCode ?? 0;
      if (![301, 302, 303, 307, 308].includes(status) || location === undefined) return res;
      res.resume();
      if (hop >= MAX_REDIRECTS) throw new OciError('Registry', `${start.href}: more than ${MAX_REDIRECTS} redirects`, false);
      url = new URL(location, url);
      if (url.protocol !== 'https:' && this.base.protocol === 'https:') throw new OciError('Registry', `${start.href}: redirected to plain HTTP (${url.origin})`, false);
    }
  }

  /** Answers a 401: true when there is something new to try (credentials or a token). */
  private async answerChallenge(res: IncomingMessage, what: string): Promise<boolean> {
    const challenges = parseChallenges(res.headers['www-authenticate']);
    res.resume();
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer !== undefined) {
      this.authorization = `Bearer ${await this.token(bearer, what)}`;
      return true;
    }
    if (challenges.some((c) => c.scheme === 'basic') && this.options.credentials !== undefined) {
      const basic = basicAuthorization(this.options.credentials);
      if (this.authorization === basic) return false;
      this.authorization = basic;
      return true;
    }
    return false;
  }

  /** The token request a Bearer challenge asks for: realm?service=…&scope=… */
  private tokenUrl(challenge: Challenge, what: string): URL {
    const realm = challenge.params.realm;
    if (realm === undefined || realm === '') throw new OciError('Auth', `${what}: the registry's Bearer challenge names no realm`, false);
    const url = new URL(realm, this.base);
    if (url.protocol !== 'https:' && this.base.protocol === 'https:') throw new OciError('Auth', `${what}: the token realm ${url.origin} is plain HTTP; refusing to send credentials there`, false);
    const scope = challenge.params.scope ?? `repository:${this.ref.repository}:pull`;
    if (challenge.params.service !== undefined) url.searchParams.set('service', challenge.params.service);
    for (const s of scope.split(' ').filter((x) => x !== '')) url.searchParams.append('scope', s);
    return url;
  }

  /** The token flow: GET the realm with Basic credentials when we have them, anonymously otherwise. */
  private async token(challenge: Challenge, what: string): Promise<string> {
    const url = this.tokenUrl(challenge, what);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.credentials !== undefined) headers.authorization = basicAuthorization(this.options.credentials);
    const res = await this.options.transport.send(url, { method: 'GET', headers, ...(this.options.signal === undefined ? {} : { signal: this.options.signal }) });
    const status = res.statusCode ?? 0;
    const service = `${what}: the token service ${url.origin}`;
    if (status === 401 || status === 403) {
      const detail = errorDetail(await readText(res));
      throw new OciError('Auth', `${service} refused ${this.options.credentials === undefined ? 'anonymous access' : 'the credentials'} (${status}${detail === '' ? '' : `: ${detail}`})`, false);
    }
    if (status < 200 || status >= 300) throw new OciError('Registry', `${service} answered ${status}: ${errorDetail(await readText(res))}`, status >= 500 || status === 429);
    return tokenOf((await readBody(res, TOKEN_ANSWER_LIMIT, 'the token answer')).bytes, service);
  }

  private async failure(res: IncomingMessage, what: string): Promise<OciError> {
    const status = res.statusCode ?? 0;
    const detail = errorDetail(await readText(res));
    const said = `${status}${detail === '' ? '' : `: ${detail}`}`;
    if (status === 401) {
      const message = this.options.credentials === undefined ? `the registry requires credentials (${said})` : `the registry refused the credentials (${said})`;
      return new OciError('Auth', `${what}: ${message}`, false);
    }
    if (status === 403) return new OciError('Auth', `${what}: access denied (${said})`, false);
    if (status === 404) return new OciError('NotFound', `${what}: not found (${said})`, true);
    return new OciError('Registry', `${what}: the registry answered ${said}`, status >= 500 || status === 429 || status === 408);
  }
}
