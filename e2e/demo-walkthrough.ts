/**
 * `make demo`: the seed walk-through end to end with our operator in place
 * of Atlas's, every command echoed as the walk-through prints it. A real
 * kube-apiserver + etcd and Helm (built from the Go module proxy, cached),
 * a private database (MySQL 8.0 by default; DB=postgres|mariadb|sqlite),
 * the operator running as its ServiceAccount beside the control plane (no
 * node runs pods in this demo), and everything removed at the end.
 *
 *   DB=mysql|postgres|mariadb|sqlite npx tsx e2e/demo-walkthrough.ts
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';
import { Client } from 'pg';
import { ensurePackages, firstExisting } from './databases/packages';
import { startMySqlFamily } from './databases/mysql-family';
import { startPostgres } from './databases/postgres';
import type { TestDatabaseServer } from './databases/server-process';
import { helm } from './controlplane/helm';
import { startControlPlane, type ControlPlane } from './controlplane/launcher';
import { migrationsFolder, PORTABLE_SEED_FILES } from './migration-scenarios';
import { OPERATOR_ACCOUNT, OPERATOR_NAMESPACE, ROOT } from './operator-cluster';
import { startOperator, type OperatorProcess } from './operator-process';

const SEED = join(ROOT, 'operator', 'migrate', 'testdata', 'seed');
type DemoDb = 'mysql' | 'postgres' | 'mariadb' | 'sqlite';


interface Database {
  /** The URL the Secret holds. */
  readonly url: string;
  /** The same URL with the password masked, for printing. */
  readonly shown: string;
  /** Step 6: show a table as the database's own client does. */
  describe(table: string): string;
  stop(): Promise<void>;
}

function mysqlClient(server: TestDatabaseServer): Database {
  ensurePackages(['mariadb-client'], () => firstExisting(['/usr/bin/mariadb']) !== undefined);
  const client = ['--default-character-set=utf8mb4', '-t', '-h', server.host, '-P', String(server.port), '-u', server.user, `-p${server.password}`];
  return {
    url: server.urlFor('myapp'),
    shown: server.urlFor('myapp').replace(server.password, 'xxxxx'),
    describe: (table) => execFileSync('mariadb', [...client, '-e', `describe myapp.${table}`], { encoding: 'utf8' }),
    stop: () => server.stop(),
  };
}

async function startDatabase(kind: DemoDb): Promise<Database> {
  if (kind === 'mysql' || kind === 'mariadb') {
    const server = await startMySqlFamily(kind === 'mysql' ? 'mysql8' : 'mariadb11');
    // The walk-through's mysql.yaml starts the server with MYSQL_DATABASE=myapp.
    const c = await createConnection(server.url);
    await c.query('CREATE DATABASE myapp');
    await c.end();
    return mysqlClient(server);
  }
  if (kind === 'postgres') {
    const server = await startPostgres();
    const c = new Client({ connectionString: server.url });
    await c.connect();
    await c.query('CREATE DATABASE myapp');
    await c.end();
    const url = server.urlFor('myapp', 'sslmode=disable&search_path=public');
    return { url, shown: url.replace(server.password, 'xxxxx'), describe: (t) => execFileSync('psql', ['-c', `\\d ${t}`, server.urlFor('myapp')], { encoding: 'utf8' }), stop: () => server.stop() };
  }
  const dir = mkdtempSync(join(tmpdir(), 'demo-sqlite-'));
  const url = `sqlite://${join(dir, 'myapp.db')}`;
  const describe = (table: string): string => {
    const db = new Sqlite(join(dir, 'myapp.db'), { readonly: true });
    const rows = db.prepare(`SELECT name, type, "notnull", pk FROM pragma_table_info('${table}')`).all() as Record<string, unknown>[];
    db.close();
    return rows.map((r) => `${String(r.name).padEnd(10)} ${String(r.type).padEnd(14)} ${r.notnull === 1 ? 'NOT NULL' : 'NULL'}${r.pk === 1 ? ' PRIMARY KEY' : ''}`).join('\n') + '\n';
  };
  return { url, shown: url, describe, stop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })) };
}

function say(text: string): void {
  console.log(`\n### ${text}`);
}

/** Echoes a command as the walk-through prints it, then runs it. */
function run(cp: ControlPlane, shown: string, args: readonly string[], cwd: string): string {
  console.log(`$ ${shown}`);
  const out = cp.kubectl(args, { cwd });
  process.stdout.write(out);
  return out;
}

async function walkthrough(cp: ControlPlane, db: Database, kind: DemoDb, work: string): Promise<OperatorProcess> {
  say('1. Install the operator (our chart in place of oci://ghcr.io/ariga/charts/atlas-operator)');
  console.log('$ helm install atlas-operator ./manifests/helm');
  process.stdout.write(helm(cp.adminKubeconfig, ['install', 'atlas-operator', join(ROOT, 'manifests', 'helm')]).split('\n').slice(0, 6).join('\n') + '\n');
  cp.kubectl(['wait', '--for=condition=Established', 'crd/atlasmigrations.db.atlasgo.io', '--timeout=60s']);
  console.log(`(no node runs pods here: the operator runs as a process with the ${OPERATOR_NAMESPACE}/${OPERATOR_ACCOUNT} ServiceAccount's token and the chart's RBAC)`);
  const operator = await startOperator({ kubeconfig: cp.kubeconfigFor(OPERATOR_NAMESPACE, OPERATOR_ACCOUNT) });

  say(`2. Install a database: a private ${kind === 'mysql' ? 'MySQL 8.0' : kind === 'mariadb' ? 'MariaDB 11.4' : kind === 'postgres' ? 'PostgreSQL 15' : 'SQLite file'}, and the secret with its URL`);
  console.log(`$ kubectl create secret generic mysql-credentials --from-literal=url=${db.shown}`);
  process.stdout.write(cp.kubectl(['create', 'secret', 'generic', 'mysql-credentials', `--from-literal=url=${db.url}`]));

  say('3. Set up a migration directory');
  if (kind === 'mysql' || kind === 'mariadb') cpSync(SEED, join(work, 'migrations'), { recursive: true, filter: (src) => !src.endsWith('README.md') });
  else cpSync(await migrationsFolder(PORTABLE_SEED_FILES), join(work, 'migrations'), { recursive: true });
  console.log(`$ tree migrations\nmigrations\n${readdirSync(join(work, 'migrations')).map((f, i, all) => `${i === all.length - 1 ? '└' : '├'}── ${f}`).join('\n')}`);

  say('4. Create a ConfigMap with the migration directory');
  const yaml = run(cp, 'kubectl create configmap migrations --from-file=migrations -o yaml --dry-run=client --save-config > migrations.yaml', ['create', 'configmap', 'migrations', '--from-file=migrations', '-o', 'yaml', '--dry-run=client', '--save-config'], work);
  writeFileSync(join(work, 'migrations.yaml'), yaml);
  run(cp, 'kubectl apply -f migrations.yaml', ['apply', '-f', 'migrations.yaml'], work);

  say('5. Create an AtlasMigration resource');
  cpSync(join(ROOT, 'manifests', 'examples', 'seed-atlas-migration.yaml'), join(work, 'atlas-migration.yaml'));
  console.log('$ cat atlas-migration.yaml');
  process.stdout.write(execFileSync('cat', [join(work, 'atlas-migration.yaml')], { encoding: 'utf8' }));
  run(cp, 'kubectl apply -f atlas-migration.yaml', ['apply', '-f', 'atlas-migration.yaml'], work);
  run(cp, 'kubectl wait --for=condition=Ready atlasmigration/atlas-migration', ['wait', '--for=condition=Ready', 'atlasmigration/atlas-migration', '--timeout=60s'], work);

  say('6. Verify the migrations were applied');
  for (const table of ['users', 'posts']) {
    console.log(kind === 'mysql' || kind === 'mariadb' ? `$ mysql -uroot -p… -e "describe myapp.${table}"` : `$ describe ${table}`);
    process.stdout.write(db.describe(table));
  }
  run(cp, 'kubectl get atlasmigrations', ['get', 'atlasmigrations'], work);
  return operator;
}

async function main(): Promise<void> {
  const kind = (process.env.DB ?? 'mysql') as DemoDb;
  if (!['mysql', 'postgres', 'mariadb', 'sqlite'].includes(kind)) throw new Error(`DB=${kind}: choose mysql (default), postgres, mariadb or sqlite`);
  const started = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'demo-'));
  const [cp, db] = await Promise.all([startControlPlane(), startDatabase(kind)]);
  console.log(`== a real kube-apiserver at ${cp.server}; the database at ${db.shown}`);
  let operator: OperatorProcess | undefined;
  try {
    operator = await walkthrough(cp, db, kind, work);
  } finally {
    await operator?.stop();
    await cp.stop();
    await db.stop();
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`\n== done in ${((Date.now() - started) / 1000).toFixed(1)} s; the control plane, the database and the operator are stopped and removed`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
