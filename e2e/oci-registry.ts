/**
 * A real OCI registry for e2e tests: the CNCF distribution registry (built
 * by e2e/controlplane/build-oci.sh) on a free loopback port, serving TLS
 * with a certificate from a CA made here (openssl) and htpasswd (bcrypt)
 * auth, its storage in a temporary folder; and the real oras CLI to push to
 * it. Stopped (and its folder removed) by stop() or when the test process
 * exits.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issue } from './controlplane/certificates';
import { startOnFreePorts } from './databases/free-port';
import { startProcess, waitUntilReady, type ServerProcess } from './databases/server-process';

let bins: string | undefined;

/** The folder holding registry, oras and htpasswd (built on first use, cached). */
export function ociBinaries(): string {
  bins ??= execFileSync('bash', [join(__dirname, 'controlplane', 'build-oci.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').at(-1) ?? '';
  return bins;
}

export interface TestRegistry {
  /** `127.0.0.1:<port>` */
  readonly host: string;
  readonly username: string;
  readonly password: string;
  /** PEM of the CA that signed the registry's certificate. */
  readonly ca: string;
  readonly caFile: string;
  /** The registry's storage root (docker/registry/v2/…). */
  readonly storage: string;
  /**
   * Runs oras with the CA and the credentials; resolves to stdout. Never
   * synchronously: the registry's output is read by this process's event
   * loop, and a blocked loop would block the registry on a full pipe.
   */
  oras(args: readonly string[], cwd?: string): Promise<string>;
  log(): string;
  stop(): Promise<void>;
}

function makeCa(dir: string): void {
  execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], { cwd: dir, stdio: 'pipe' });
  execFileSync('openssl', ['req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '2', '-subj', '/CN=atlas-e2e-registry-ca', '-out', 'ca.crt'], { cwd: dir, stdio: 'pipe' });
  issue(dir, 'registry', '/CN=registry', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
}

function config(dir: string, port: number): string {
  const path = join(dir, `config-${port}.yml`);
  writeFileSync(
    path,
    `version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${join(dir, 'storage')}
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:${port}
  secret: ${randomBytes(16).toString('hex')}
  tls:
    certificate: ${join(dir, 'registry.crt')}
    key: ${join(dir, 'registry.key')}
auth:
  htpasswd:
    realm: atlas-e2e
    path: ${join(dir, 'htpasswd')}
`,
  );
  return path;
}

/** The registry's /v2/ answers (401 without credentials: it is up and checking them). */
function probe(port: number, ca: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/v2/', ca, timeout: 2000 }, (res) => {
      res.resume();
      if (res.statusCode === 401 || res.statusCode === 200) resolve();
      else reject(new Error(`/v2/ answered ${res.statusCode}`));
    });
    req.on('error', reject);
    req.end();
  });
}

export async function startRegistry(): Promise<TestRegistry> {
  const bin = ociBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'oci-registry-'));
  makeCa(dir);
  mkdirSync(join(dir, 'storage'));
  const username = 'migrator';
  const password = randomBytes(12).toString('hex');
  writeFileSync(join(dir, 'htpasswd'), execFileSync(join(bin, 'htpasswd'), [username], { input: password }));
  const ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
  const { server, port } = await startOnFreePorts(1, async ([port = 0]) => {
    const server: ServerProcess = startProcess(join(bin, 'registry'), ['serve', config(dir, port)], { dataDir: dir });
    try {
      await waitUntilReady(server, () => probe(port, ca), 'the OCI registry', 30_000);
    } catch (e) {
      await server.halt();
      throw e;
    }
    return { server, port };
  });
  const host = `127.0.0.1:${port}`;
  const orasHome = join(dir, 'oras-home');
  mkdirSync(orasHome);
  return {
    host,
    username,
    password,
    ca,
    caFile: join(dir, 'ca.crt'),
    storage: join(dir, 'storage'),
    oras(args, cwd) {
      return new Promise((resolve, reject) => {
        const child = execFile(
          join(bin, 'oras'),
          [...args, '--ca-file', join(dir, 'ca.crt'), '--username', username, '--password-stdin'],
          { cwd, encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, HOME: orasHome, DOCKER_CONFIG: orasHome } },
          (error, stdout, stderr) => (error === null ? resolve(stdout) : reject(new Error(`oras ${args.join(' ')} failed: ${error.message}\n${stderr}`))),
        );
        child.stdin?.end(password);
      });
    },
    log: () => server.log(),
    stop: () => server.stop(),
  };
}
