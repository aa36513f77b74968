/**
 * A registry for unit tests, on node:http (or node:https with a CA made by
 * openssl) at 127.0.0.1:0: the distribution API's manifest and blob reads,
 * Basic or Bearer (token flow) auth, and switches for misbehaviour (no
 * digest header, tampered or over-long blobs, redirects). Artifacts are laid
 * out as `oras push` lays them out.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { MEDIA_TYPES, TITLE_ANNOTATION, UNPACK_ANNOTATION } from './manifest';

export const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface FakeRegistryOptions {
  readonly auth?: { readonly scheme: 'basic' | 'bearer'; readonly username: string; readonly password: string; readonly anonymousToken?: boolean };
  readonly tls?: boolean;
}

export interface Logged {
  readonly method: string;
  readonly path: string;
  readonly authorization?: string;
}

export interface ArtifactFile {
  readonly title: string;
  readonly content: Buffer | string;
  /** A folder pushed by oras: content is a tar (gzipped here). */
  readonly unpack?: boolean;
}

/** A ustar archive (PAX header for long names), as Go's archive/tar writes one. */
export function tarOf(entries: readonly { path: string; content?: Buffer | string; type?: '0' | '5' | '2'; link?: string }[]): Buffer {
  const blocks: Buffer[] = [];
  const header = (name: string, size: number, type: string, link = ''): Buffer => {
    const h = Buffer.alloc(512);
    h.write(name.slice(0, 100), 0, 'utf8');
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(size.toString(8).padStart(11, '0') + '\0', 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148);
    h.write(type, 156);
    h.write(link, 157);
    h.write('ustar\x0000', 257, 'latin1');
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
    return h;
  };
  const pad = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);
  for (const e of entries) {
    const content = Buffer.from(e.content ?? '');
    if (Buffer.byteLength(e.path) > 100) {
      const record = (len: number): string => `${len} path=${e.path}\n`;
      let n = record(0).length;
      while (record(n).length !== n) n = record(n).length;
      const pax = Buffer.from(record(n));
      blocks.push(header('PaxHeaders/x', pax.length, 'x'), pad(pax));
    }
    blocks.push(header(e.path, e.type === '5' || e.type === '2' ? 0 : content.length, e.type ?? '0', e.link), pad(e.type === '5' || e.type === '2' ? Buffer.alloc(0) : content));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** A CA and a serving certificate for 127.0.0.1 (openssl), as PEM. */
export function makeTlsMaterial(): { ca: string; key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'oci-tls-'));
  const run = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  try {
    run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
    run(['req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '2', '-subj', '/CN=oci-test-ca', '-out', 'ca.crt']);
    run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'srv.key']);
    run(['req', '-new', '-key', 'srv.key', '-subj', '/CN=127.0.0.1', '-out', 'srv.csr']);
    writeFileSync(join(dir, 'srv.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    run(['x509', '-req', '-in', 'srv.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-sha256', '-extfile', 'srv.ext', '-out', 'srv.crt']);
    const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
    return { ca: read('ca.crt'), key: read('srv.key'), cert: read('srv.crt') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export class FakeRegistry {
  readonly log: Logged[] = [];
  private readonly manifests = new Map<string, { bytes: Buffer; mediaType: string }>();
  private readonly blobs = new Map<string, Buffer>();
  private readonly tokens = new Set<string>();
  private server: Server | undefined;
  /** Switches for misbehaviour. */
  omitDigestHeader = false;
  tamper = new Map<string, Buffer>();
  redirectBlobsTo: string | undefined;
  failWith: number | undefined;
  port = 0;

  constructor(
    private readonly options: FakeRegistryOptions = {},
    private readonly tls?: { key: string; cert: string },
  ) {}

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => this.handle(req, res);
    this.server = this.tls === undefined ? createHttpServer(handler) : createHttpsServer({ key: this.tls.key, cert: this.tls.cert }, handler);
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  putBlob(content: Buffer): string {
    const digest = sha256(content);
    this.blobs.set(digest, content);
    return digest;
  }

  putManifest(repo: string, tag: string | undefined, manifest: unknown, mediaType: string = MEDIA_TYPES.ociManifest): string {
    const bytes = Buffer.from(JSON.stringify(manifest));
    const digest = sha256(bytes);
    this.manifests.set(`${repo}@${digest}`, { bytes, mediaType });
    if (tag !== undefined) this.manifests.set(`${repo}:${tag}`, { bytes, mediaType });
    return digest;
  }

  /** An artifact as oras pushes it: an empty config, one layer per file (folders tar+gzip). */
  push(repo: string, tag: string | undefined, files: readonly ArtifactFile[]): string {
    const config = this.putBlob(Buffer.from('{}'));
    const layers = files.map((f) => {
      const content = f.unpack === true ? gzipSync(Buffer.from(f.content)) : Buffer.from(f.content);
      const digest = this.putBlob(content);
      const annotations: Record<string, string> = { [TITLE_ANNOTATION]: f.title };
      if (f.unpack === true) annotations[UNPACK_ANNOTATION] = 'true';
      return { mediaType: f.unpack === true ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.oci.image.layer.v1.tar', digest, size: content.length, annotations };
    });
    return this.putManifest(repo, tag, {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      artifactType: 'application/vnd.unknown.artifact.v1',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: config, size: 2 },
      layers,
    });
  }

  requests(method: string, pathPart: string): Logged[] {
    return this.log.filter((l) => l.method === method && l.path.includes(pathPart));
  }

  private authorized(req: IncomingMessage, res: ServerResponse): boolean {
    const auth = this.options.auth;
    if (auth === undefined) return true;
    const given = req.headers.authorization ?? '';
    const basic = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    if (auth.scheme === 'basic' && given === basic) return true;
    if (auth.scheme === 'bearer' && given.startsWith('Bearer ') && this.tokens.has(given.slice(7))) return true;
    const challenge =
      auth.scheme === 'basic' ? 'Basic realm="fake"' : `Bearer realm="${this.tls === undefined ? 'http' : 'https'}://${this.host}/token",service="fake-registry",scope="repository:${req.url?.split('/')[2] ?? ''}:pull"`;
    res.writeHead(401, { 'www-authenticate': challenge, 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
    return false;
  }

  private token(req: IncomingMessage, res: ServerResponse): void {
    const auth = this.options.auth;
    const basic = auth === undefined ? '' : `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    const given = req.headers.authorization;
    if (given !== basic && !(given === undefined && auth?.anonymousToken === true)) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
      return;
    }
    const token = `t${this.tokens.size + 1}`;
    if (given !== undefined) this.tokens.add(token);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, expires_in: 300 }));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    this.log.push({ method: req.method ?? '', path: url.pathname + url.search, ...(req.headers.authorization === undefined ? {} : { authorization: req.headers.authorization }) });
    if (url.pathname === '/token') return this.token(req, res);
    if (url.pathname.startsWith('/redirected/')) return this.sendBlob(res, url.pathname.slice('/redirected/'.length), req.method === 'HEAD');
    if (this.failWith !== undefined) {
      res.writeHead(this.failWith).end('failing on purpose');
      return;
    }
    if (!this.authorized(req, res)) return;
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (m === null) return void res.writeHead(404).end();
    const [, repo, kind, reference] = m as unknown as [string, string, string, string];
    if (kind === 'blobs') {
      if (this.redirectBlobsTo !== undefined) return void res.writeHead(307, { location: `${this.redirectBlobsTo}/redirected/${reference}` }).end();
      return this.sendBlob(res, reference, req.method === 'HEAD');
    }
    this.sendManifest(res, `${repo}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`, req.method === 'HEAD');
  }

  private sendManifest(res: ServerResponse, key: string, head: boolean): void {
    const manifest = this.manifests.get(key);
    if (manifest === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
    }
    const headers: Record<string, string | number> = { 'content-type': manifest.mediaType, 'content-length': manifest.bytes.length };
    if (!this.omitDigestHeader) headers['docker-content-digest'] = sha256(manifest.bytes);
    res.writeHead(200, headers);
    res.end(head ? undefined : manifest.bytes);
  }

  private sendBlob(res: ServerResponse, digest: string, head: boolean): void {
    const blob = this.tamper.get(digest) ?? this.blobs.get(digest);
    if (blob === undefined) return void res.writeHead(404).end(JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown' }] }));
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': blob.length });
    res.end(head ? undefined : blob);
  }
}
