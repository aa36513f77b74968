/**
 * Bad input, one row per case: what a user gives the operator (files,
 * atlas.sum, ConfigMap, Secret, spec, the database's state) and what must
 * come of it: the Ready reason and whether the resource is Stalled (waits
 * for a change) or Reconciling (retries), the Warning event, and the
 * database afterwards (revision rows, tables). Where Atlas's own rules
 * decide the outcome (a file name without `_`, an empty directory, a
 * checkpoint on a fresh database, a directory behind the database) the
 * case asserts Atlas's behaviour and says so in its name.
 *
 * The runner (bad-input.e2e.test.ts) gives each case its own namespace and
 * a fresh database; `db` below names the default Secret's URL.
 */
import { gzipSync } from 'node:zlib';
import { Reason } from '../../operator/api/reasons';
import type { TestDatabase } from '../databases/targets';
import type { TestDatabaseServer } from '../databases/server-process';

export type Target = 'postgres' | 'mysql8' | 'sqlite';
/** File name → content; a Buffer goes to the ConfigMap's binaryData (not UTF-8). */
export type Files = Readonly<Record<string, string | Buffer>>;

export interface CaseContext {
  readonly ns: string;
  readonly db: TestDatabase;
  /** The database server (not for SQLite). */
  readonly server?: TestDatabaseServer;
  /** A name unique in this test run (roles, users). */
  unique(prefix: string): string;
  /** A value that must never appear in any output (logs, events, statuses, metrics). */
  secret(value: string): string;
  /** A loopback port nothing listens on. */
  closedPort(): Promise<number>;
  /** Values `prepare` leaves for later steps (a role's name). */
  readonly vars: Record<string, string>;
}

/** The ConfigMap `migrations` as stored: `data` and base64 `binaryData`. */
export interface ConfigMapContent {
  readonly data?: Readonly<Record<string, string>>;
  readonly binaryData?: Readonly<Record<string, string>>;
}

export type Fragment = string | RegExp;

export type Expectation =
  /** Atlas's behaviour is a success: Ready=True with this message. */
  | { readonly ready: true; readonly message: readonly Fragment[] }
  | {
      readonly ready?: false;
      readonly reason: string;
      /** Stalled=True (waits for a change) or Reconciling=True/Retrying (retries with backoff). */
      readonly stalled: boolean;
      /** In the Ready message; the Warning event of `reason` must hold them too, unless `event` says otherwise. */
      readonly message: readonly Fragment[];
      readonly event?: readonly Fragment[];
    }
  /** The apiserver refuses the resource: its own message, nothing reaches the operator. */
  | { readonly rejected: Fragment };

export interface BadInputCase {
  readonly name: string;
  readonly target: Target;
  /** Applied first and Ready before the bad input: by the same resource (its ConfigMap then replaced) or by another one on the same database. */
  readonly before?: { readonly files: Files; readonly as: 'same' | 'other' };
  /** The directory given. */
  readonly files?: Files;
  /** The files atlas.sum is computed from (default `files`): a sum that is not the directory's own. */
  readonly sumOf?: Files;
  /** The atlas.sum stored, from the computed one; undefined: no atlas.sum at all. */
  readonly sum?: (computed: string) => string | undefined;
  /** The ConfigMap as stored, from `files` and the atlas.sum; null: no ConfigMap at all. Default: strings in data, Buffers in binaryData. */
  readonly configMap?: ((withSum: Files) => ConfigMapContent) | null;
  /** The Secret `db`'s data; null: no Secret. Default `{ url: <the fresh database's URL> }`. */
  readonly secret?: ((c: CaseContext) => Record<string, string> | Promise<Record<string, string>>) | null;
  /** Spec fields over the default (`urlFrom` Secret `db` key `url`, `dir.configMapRef` `migrations`); `undefined` removes one. */
  readonly spec?: (c: CaseContext) => Record<string, unknown>;
  /** Runs on the fresh database before anything else. */
  readonly prepare?: (c: CaseContext) => Promise<void>;
  readonly expect: Expectation;
  /**
   * The database afterwards: revision rows (`version`, or `version applied/total error` for a
   * partial or failed one; null: no revisions table) and tables other than the revisions table.
   */
  readonly database: { readonly revisions: readonly string[] | null; readonly tables: readonly string[] };
}

// ------------------------------------------------------------ files

export const V1 = '20240101000000';
export const V2 = '20240102000000';
export const V3 = '20240103000000';
const USERS = { [`${V1}_users.sql`]: 'CREATE TABLE users (\n  id int NOT NULL,\n  PRIMARY KEY (id)\n);\n' };
const TAGS = { [`${V2}_tags.sql`]: 'CREATE TABLE tags (id int NOT NULL, PRIMARY KEY (id));\n' };
const POSTS3 = { [`${V3}_posts.sql`]: 'CREATE TABLE posts (id int NOT NULL, PRIMARY KEY (id));\n' };

/** Statement 2 (line 4) misspells TABLE: the database rejects it; statements 1 and 3 are fine. */
const TYPO_FILE = `${V2}_typo.sql`;
const TYPO = { [TYPO_FILE]: '-- three statements, the second one misspelt\nCREATE TABLE a (id int);\n\nCREATE TABEL b (id int);\nCREATE TABLE c (id int);\n' };
const TYPO_NO_TX = { [TYPO_FILE]: `-- atlas:txmode none\n\n${TYPO[TYPO_FILE]}` };
/** What the database says about the typo, in each driver's words. */
const TYPO_SAID: Readonly<Record<Target, RegExp>> = {
  postgres: /syntax error at or near "TABEL"/,
  mysql8: /You have an error in your SQL syntax.*near 'TABEL b/,
  sqlite: /near "TABEL": syntax error/,
};
const TYPO_WHERE = `(${TYPO_FILE}: statement 2, line 4)`;

const gz = (text: string): string => gzipSync(Buffer.from(text)).toString('base64');
const b64 = (bytes: Buffer | string): string => Buffer.from(bytes).toString('base64');

/** `INSERT … 'café'` with é as the single Latin-1 byte 0xE9. */
const LATIN1 = Buffer.concat([Buffer.from("CREATE TABLE latin (v text);\nINSERT INTO latin (v) VALUES ('caf"), Buffer.from([0xe9]), Buffer.from("');\n")]);

/** A statement of 2 MB: fine, however long. */
const HUGE_FILE = `${V2}_huge.sql`;
const HUGE = `CREATE TABLE big (v text);\nINSERT INTO big (v) VALUES ('${'x'.repeat(2 * 1024 * 1024)}');\n`;
/** The same size, its last string never closed: a scan error at its line. */
const HUGE_UNCLOSED = `CREATE TABLE big (v text);\n\nINSERT INTO big (v) VALUES ('${'x'.repeat(2 * 1024 * 1024)});\n`;

/** Strings in data, Buffers base64 in binaryData, plus `binary` (already base64) in binaryData. */
export function configMapOf(files: Files, binary: Readonly<Record<string, string>> = {}): ConfigMapContent {
  const data: Record<string, string> = {};
  const binaryData: Record<string, string> = { ...binary };
  for (const [k, v] of Object.entries(files)) {
    if (typeof v === 'string') data[k] = v;
    else binaryData[k] = v.toString('base64');
  }
  return { data, binaryData };
}


function ready(...message: Fragment[]): Expectation {
  return { ready: true, message };
}
function stalled(reason: string, ...message: Fragment[]): Expectation {
  return { reason, stalled: true, message };
}
function retrying(reason: string, ...message: Fragment[]): Expectation {
  return { reason, stalled: false, message };
}

export const CASES: readonly BadInputCase[] = [
  // ---------------------------------------------------------------- atlas.sum
  {
    name: 'atlas.sum missing',
    target: 'sqlite',
    files: { ...USERS },
    sum: () => undefined,
    expect: stalled(Reason.ReadingMigrationData, /ConfigMap bad-\d+-sqlite\/migrations: checksum file not found/),
    database: { revisions: null, tables: [] },
  },
  {
    name: 'atlas.sum with a wrong total (its first line)',
    target: 'postgres',
    files: { ...USERS, ...TAGS },
    sum: (s = '') => s.replace(/^h1:[^\n]+/, 'h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='),
    expect: stalled(Reason.ReadingMigrationData, 'checksum mismatch; re-hash the directory', /and update ConfigMap bad-\d+-postgres\/migrations/),
    database: { revisions: null, tables: [] },
  },
  {
    name: 'atlas.sum with a line that is not "<file> h1:<hash>"',
    target: 'sqlite',
    files: { ...USERS },
    sum: (s = '') => `${s}garbage\n`,
    expect: stalled(Reason.ReadingMigrationData, 'checksum file format invalid'),
    database: { revisions: null, tables: [] },
  },
  {
    name: 'an applied file edited without re-hash (and a new file): nothing runs',
    target: 'mysql8',
    before: { files: { ...USERS }, as: 'same' },
    files: { [`${V1}_users.sql`]: `${USERS[`${V1}_users.sql`]}-- edited\n`, ...TAGS },
    sumOf: { ...USERS, ...TAGS },
    expect: stalled(Reason.ReadingMigrationData, /checksum mismatch: L2: 20240101000000_users\.sql was edited \(atlas\.sum line 2 in ConfigMap bad-\d+-mysql8\/migrations\)/),
    database: { revisions: [V1], tables: ['users'] },
  },
  {
    name: 'a file added without re-hash',
    target: 'postgres',
    before: { files: { ...USERS }, as: 'same' },
    files: { ...USERS, ...TAGS },
    sumOf: { ...USERS },
    expect: stalled(Reason.ReadingMigrationData, /checksum mismatch: L3: 20240102000000_tags\.sql was added \(atlas\.sum line 3 in ConfigMap bad-\d+-postgres\/migrations\)/),
    database: { revisions: [V1], tables: ['users'] },
  },
  {
    name: 'an atlas.sum line for a file that is not there',
    target: 'sqlite',
    files: { ...USERS },
    sumOf: { ...USERS, ...TAGS },
    expect: stalled(Reason.ReadingMigrationData, /checksum mismatch: L3: 20240102000000_tags\.sql was removed \(atlas\.sum line 3 in ConfigMap/),
    database: { revisions: null, tables: [] },
  },

  // ---------------------------------------------------------------- statements the database rejects
  {
    name: 'a syntax error in statement 2 (line 4) of a file, PostgreSQL, txMode file: the file rolled back, the one before kept',
    target: 'postgres',
    files: { ...USERS, ...TYPO },
    expect: retrying(Reason.Migrating, TYPO_SAID.postgres, TYPO_WHERE, 'CREATE TABEL b (id int);'),
    database: { revisions: [V1], tables: ['users'] },
  },
  {
    name: 'the same on MySQL 8: DDL commits implicitly, so statement 1 stays and the revision row says 1/3 with the error (Atlas\'s rule)',
    target: 'mysql8',
    files: { ...USERS, ...TYPO },
    expect: retrying(Reason.Migrating, TYPO_SAID.mysql8, TYPO_WHERE),
    database: { revisions: [V1, `${V2} 1/3 error`], tables: ['a', 'users'] },
  },
  {
    name: 'the same on PostgreSQL with -- atlas:txmode none: statement 1 applied and recorded 1/3 with the error',
    target: 'postgres',
    files: { ...USERS, ...TYPO_NO_TX },
    expect: retrying(Reason.Migrating, TYPO_SAID.postgres, `(${TYPO_FILE}: statement 2, line 6)`),
    database: { revisions: [V1, `${V2} 1/3 error`], tables: ['a', 'users'] },
  },
  {
    name: 'the same on PostgreSQL with spec.txMode all: one transaction, nothing at all kept',
    target: 'postgres',
    files: { ...USERS, ...TYPO },
    spec: () => ({ txMode: 'all' }),
    expect: retrying(Reason.Migrating, TYPO_SAID.postgres, TYPO_WHERE),
    database: { revisions: [], tables: [] },
  },
  {
    name: 'the same on SQLite (transactional DDL): the file rolled back',
    target: 'sqlite',
    files: { ...USERS, ...TYPO },
    expect: retrying(Reason.Migrating, TYPO_SAID.sqlite, TYPO_WHERE),
    database: { revisions: [V1], tables: ['users'] },
  },
  {
    name: 'an unterminated /* comment at EOF is a statement for Atlas\'s scanner; PostgreSQL rejects it (file, statement, line named)',
    target: 'postgres',
    files: { ...USERS, [`${V2}_comment.sql`]: 'CREATE TABLE a (id int);\n\n/* never closed\nCREATE TABLE b (id int);\n' },
    expect: retrying(Reason.Migrating, /unterminated \/\* comment/, `(${V2}_comment.sql: statement 2, line 3)`),
    database: { revisions: [V1], tables: ['users'] },
  },

  // ---------------------------------------------------------------- the scanner and directives: refused before any statement runs
  {
    name: 'an unclosed quote at EOF: scan error naming file, line and column; not even the good file before it runs',
    target: 'mysql8',
    files: { ...USERS, [`${V2}_quote.sql`]: "CREATE TABLE a (id int);\n\nINSERT INTO a VALUES ('oops);\n" },
    expect: stalled(Reason.Migrating, `sql/migrate: scanning statements from "${V2}_quote.sql": 3:23: unclosed quote '\\''`),
    database: { revisions: [], tables: [] },
  },
  {
    name: 'an unclosed parenthesis at EOF',
    target: 'sqlite',
    files: { ...USERS, [`${V2}_paren.sql`]: 'CREATE TABLE a (\n  id int;\n' },
    expect: stalled(Reason.Migrating, `sql/migrate: scanning statements from "${V2}_paren.sql": 1:16: unclosed '('`),
    database: { revisions: [], tables: [] },
  },
  {
    name: 'a 2 MB single statement (gzipped binaryData) is applied',
    target: 'postgres',
    files: { ...USERS, [HUGE_FILE]: HUGE },
    configMap: (withSum) => configMapOf(Object.fromEntries(Object.entries(withSum).filter(([k]) => k !== HUGE_FILE)), { [`${HUGE_FILE}.gz`]: gz(HUGE) }),
    expect: ready(`Applied 2 migrations, now at ${V2}`),
    database: { revisions: [V1, V2], tables: ['big', 'users'] },
  },
  {
    name: 'the same 2 MB statement with its string never closed: scan error at its line',
    target: 'postgres',
    files: { ...USERS, [HUGE_FILE]: HUGE_UNCLOSED },
    configMap: (withSum) => configMapOf(Object.fromEntries(Object.entries(withSum).filter(([k]) => k !== HUGE_FILE)), { [`${HUGE_FILE}.gz`]: gz(HUGE_UNCLOSED) }),
    expect: stalled(Reason.Migrating, `sql/migrate: scanning statements from "${HUGE_FILE}": 3:29: unclosed quote '\\''`),
    database: { revisions: [], tables: [] },
  },
  {
    name: '-- atlas:txmode bogus',
    target: 'postgres',
    files: { ...USERS, [`${V2}_bogus.sql`]: '-- atlas:txmode bogus\n\nCREATE TABLE a (id int);\n' },
    expect: stalled(Reason.Migrating, `unknown txmode "bogus" found in file directive "${V2}_bogus.sql"`),
    database: { revisions: [], tables: [] },
  },
  {
    name: '-- atlas:txmode all in a file',
    target: 'mysql8',
    files: { ...USERS, [`${V2}_all.sql`]: '-- atlas:txmode all\n\nCREATE TABLE a (id int);\n' },
    expect: stalled(Reason.Migrating, `txmode "all" is not allowed in file directive "${V2}_all.sql". Use "file" instead`),
    database: { revisions: [], tables: [] },
  },
  {
    name: '-- atlas:delimiter with no delimiter',
    target: 'sqlite',
    files: { ...USERS, [`${V2}_delim.sql`]: '-- atlas:delimiter \nCREATE TABLE a (id int);\n' },
    expect: stalled(Reason.Migrating, `sql/migrate: scanning statements from "${V2}_delim.sql": empty delimiter`),
    database: { revisions: [], tables: [] },
  },
  {
    name: '-- atlas:delimiter with nothing after it',
    target: 'postgres',
    files: { ...USERS, [`${V2}_delim.sql`]: '-- atlas:delimiter //' },
    expect: stalled(Reason.Migrating, `sql/migrate: scanning statements from "${V2}_delim.sql": `, 'no input found after delimiter "//"'),
    database: { revisions: [], tables: [] },
  },
  {
    name: 'a file that is not UTF-8 (Latin-1 é in a string): refused before anything runs, naming file and line',
    target: 'postgres',
    files: { ...USERS, [`${V2}_latin1.sql`]: LATIN1 },
    expect: stalled(Reason.Migrating, `sql/migrate: scanning statements from "${V2}_latin1.sql": 2:35: statement 2 is not valid UTF-8 (byte 0xE9); save the file as UTF-8`),
    database: { revisions: [], tables: [] },
  },
  {
    name: 'a checkpoint that is not a full schema: a fresh database starts at it (Atlas\'s rule) and its statement fails; the file before it never runs',
    target: 'postgres',
    files: {
      ...USERS,
      [`${V2}_checkpoint.sql`]: '-- atlas:checkpoint\n\nCREATE TABLE posts (id int PRIMARY KEY, user_id int REFERENCES users (id));\n',
      ...POSTS3,
    },
    expect: retrying(Reason.Migrating, /relation "users" does not exist/, `(${V2}_checkpoint.sql: statement 1, line 3)`),
    database: { revisions: [], tables: [] },
  },

  // ---------------------------------------------------------------- file names and directories (Atlas's rules)
  {
    name: 'a file name without "_" is applied: its version is the whole name, no description (Atlas\'s behaviour)',
    target: 'mysql8',
    files: { [`${V1}.sql`]: 'CREATE TABLE plain (id int);\n' },
    expect: ready(`Applied 1 migration, now at ${V1}`),
    database: { revisions: [V1], tables: ['plain'] },
  },
  {
    name: 'an empty directory: nothing to execute, Ready (Atlas\'s behaviour)',
    target: 'postgres',
    configMap: () => ({ data: {} }),
    expect: ready('No migration files to execute'),
    database: { revisions: [], tables: [] },
  },
  {
    name: 'ConfigMap keys that are not migration files (README.md, X.SQL) are ignored (Atlas\'s behaviour)',
    target: 'sqlite',
    files: { ...USERS },
    configMap: (withSum) => configMapOf({ ...withSum, 'README.md': 'CREATE TABLE readme (id int);\n', [`${V2}_upper.SQL`]: 'CREATE TABLE upper (id int);\n' }),
    expect: ready(`Applied 1 migration, now at ${V1}`),
    database: { revisions: [V1], tables: ['users'] },
  },
  {
    name: 'the ConfigMap does not exist',
    target: 'sqlite',
    configMap: null,
    expect: stalled(Reason.ReadingMigrationData, /ConfigMap "migrations" not found in namespace "bad-\d+-sqlite" \(spec\.dir\)/),
    database: { revisions: null, tables: [] },
  },
  {
    name: 'binaryData <file>.gz that is not gzip',
    target: 'sqlite',
    files: { ...USERS },
    configMap: (withSum) => configMapOf(withSum, { [`${V2}_tags.sql.gz`]: b64('CREATE TABLE tags (id int);\n') }),
    expect: stalled(Reason.ReadingMigrationData, /ConfigMap bad-\d+-sqlite\/migrations: binaryData "20240102000000_tags\.sql\.gz" is not valid gzip/),
    database: { revisions: null, tables: [] },
  },

  // ---------------------------------------------------------------- the target
  {
    name: 'urlFrom names a Secret that does not exist',
    target: 'postgres',
    files: { ...USERS },
    secret: null,
    expect: stalled(Reason.ResolvingTarget, /Secret "db" not found in namespace "bad-\d+-postgres" \(spec\.urlFrom\.secretKeyRef\)/),
    database: { revisions: null, tables: [] },
  },
  {
    name: 'the Secret has no such key',
    target: 'mysql8',
    files: { ...USERS },
    secret: (c) => ({ uri: c.db.url }),
    expect: stalled(Reason.ResolvingTarget, 'Secret "db" has no key "url" (spec.urlFrom.secretKeyRef.key)'),
    database: { revisions: null, tables: [] },
  },
  {
    name: 'a URL with an unsupported scheme',
    target: 'sqlite',
    files: { ...USERS },
    secret: (c) => ({ url: `oracle://scott:${c.secret('Tiger-Oracle-7781')}@127.0.0.1:1521/xe` }),
    expect: stalled(Reason.ResolvingTarget, 'unsupported database URL scheme "oracle"'),
    database: { revisions: null, tables: [] },
  },
  {
    name: 'a URL that does not parse, with a password in it (never shown)',
    target: 'postgres',
    files: { ...USERS },
    secret: (c) => ({ url: `postgres://admin:${c.secret('Unparsable-S3cr/et')}@db:notaport/app` }),
    expect: stalled(Reason.ResolvingTarget, /./),
    database: { revisions: null, tables: [] },
  },
  {
    name: 'credentials.passwordFrom names a Secret that does not exist',
    target: 'postgres',
    files: { ...USERS },
    spec: (c) => {
      const u = new URL(c.db.url);
      return {
        urlFrom: undefined,
        credentials: { scheme: 'postgres', user: 'postgres', host: u.hostname, port: Number(u.port), database: c.db.name, passwordFrom: { secretKeyRef: { name: 'pg-password', key: 'password' } }, parameters: { sslmode: 'disable' } },
      };
    },
    expect: stalled(Reason.ResolvingTarget, /Secret "pg-password" not found in namespace "bad-\d+-postgres" \(spec\.credentials\.passwordFrom\.secretKeyRef\)/),
    database: { revisions: null, tables: [] },
  },
  {
    name: 'a wrong password on MySQL 8, the short "pass": Connecting, retried; "(using password: YES)" stays readable',
    target: 'mysql8',
    files: { ...USERS },
    secret: (c) => ({ url: c.db.url.replace(/\/\/([^:]+):[^@]+@/, '//$1:pass@') }),
    expect: retrying(Reason.Connecting, /Access denied for user 'root'@'[^']+' \(using password: YES\)/),
    database: { revisions: null, tables: [] },
  },
  {
    name: 'a wrong password on PostgreSQL, the short "pass": Connecting, retried',
    target: 'postgres',
    files: { ...USERS },
    secret: (c) => ({ url: c.db.url.replace(/\/\/([^:]+):[^@]+@/, '//$1:pass@') }),
    expect: retrying(Reason.Connecting, 'password authentication failed for user "postgres"'),
    database: { revisions: null, tables: [] },
  },
  {
    name: 'a host and port nobody listens on: Connecting, retried',
    target: 'postgres',
    files: { ...USERS },
    secret: async (c) => ({ url: c.db.url.replace(/@127\.0\.0\.1:\d+\//, `@127.0.0.1:${await c.closedPort()}/`) }),
    expect: retrying(Reason.Connecting, /ECONNREFUSED|connect|refused/i),
    database: { revisions: null, tables: [] },
  },

  // ---------------------------------------------------------------- planning against the database
  {
    name: 'revisionsSchema the account may not create (PostgreSQL, a role without CREATE on the database)',
    target: 'postgres',
    files: { ...USERS },
    prepare: async (c) => {
      const role = c.unique('nocreate');
      await c.db.query(`CREATE ROLE ${role} LOGIN PASSWORD '${c.secret(`pw-${role}`)}'`);
      c.vars.role = role;
    },
    secret: (c) => ({ url: c.db.url.replace(/\/\/[^:]+:[^@]+@/, `//${c.vars.role ?? ''}:pw-${c.vars.role ?? ''}@`) }),
    spec: () => ({ revisionsSchema: 'audit' }),
    expect: stalled(Reason.Migrating, /audit\.atlas_schema_revisions/, /permission denied for database/),
    database: { revisions: null, tables: [] },
  },
  {
    name: 'revisionsSchema the account may not create (MySQL 8, rights on its own database only)',
    target: 'mysql8',
    files: { ...USERS },
    prepare: async (c) => {
      const user = c.unique('onlydb');
      await c.db.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${c.secret(`pw-${user}`)}'`);
      await c.db.query(`GRANT ALL PRIVILEGES ON \`${c.db.name}\`.* TO '${user}'@'%'`);
      c.vars.role = user;
    },
    secret: (c) => ({ url: c.db.url.replace(/\/\/[^:]+:[^@]+@/, `//${c.vars.role ?? ''}:pw-${c.vars.role ?? ''}@`) }),
    spec: (c) => ({ revisionsSchema: `${c.db.name}_audit` }),
    expect: stalled(Reason.Migrating, /_audit\.atlas_schema_revisions/, /Access denied for user/),
    database: { revisions: null, tables: [] },
  },
  {
    name: 'baseline names a version not in the directory',
    target: 'mysql8',
    files: { ...USERS, ...TAGS },
    spec: () => ({ baseline: '20991231000000' }),
    expect: stalled(Reason.Migrating, 'baseline version "20991231000000" not found'),
    database: { revisions: [], tables: [] },
  },
  {
    name: 'execOrder linear and a file older than the database\'s version: Atlas\'s out-of-order error',
    target: 'postgres',
    before: { files: { ...USERS, ...POSTS3 }, as: 'same' },
    files: { ...USERS, ...TAGS, ...POSTS3 },
    expect: stalled(Reason.Migrating, `migration file ${V2}_tags.sql was added out of order. See: https://atlasgo.io/versioned/apply#non-linear-error`),
    database: { revisions: [V1, V3], tables: ['posts', 'users'] },
  },
  {
    name: 'a database that is not clean (a table, no revisions table): Atlas\'s error',
    target: 'mysql8',
    files: { ...USERS },
    prepare: async (c) => {
      await c.db.query('CREATE TABLE legacy (id int)');
    },
    expect: stalled(Reason.Migrating, /sql\/migrate: connected database is not clean: found table "legacy" in schema "test_\d+_\d+"\. baseline version or allow-dirty is required/),
    database: { revisions: [], tables: ['legacy'] },
  },
  {
    name: 'a directory behind the database (an applied file removed, re-hashed): ProtectedFlowError with atlas-operator\'s exact message, nothing run',
    target: 'postgres',
    before: { files: { ...USERS, ...TAGS }, as: 'same' },
    files: { ...USERS },
    expect: stalled(Reason.ProtectedFlowError, 'migrate down is not allowed, set `migrateDown.allow` to true to allow downgrade'),
    database: { revisions: [V1, V2], tables: ['tags', 'users'] },
  },
  {
    name: 'two AtlasMigrations on one database, different directories: the second meets history it does not know (Atlas\'s out-of-order error)',
    target: 'mysql8',
    before: { files: { ...USERS, ...POSTS3 }, as: 'other' },
    files: { ...TAGS },
    expect: stalled(Reason.Migrating, `migration file ${V2}_tags.sql was added out of order`),
    database: { revisions: [V1, V3], tables: ['posts', 'users'] },
  },

  // ---------------------------------------------------------------- the spec
  {
    name: 'lockTimeout that is not a duration: refused by the apiserver (its message)',
    target: 'sqlite',
    files: { ...USERS },
    spec: () => ({ lockTimeout: 'ten seconds' }),
    expect: { rejected: /spec\.lockTimeout: Invalid value: "ten seconds": spec\.lockTimeout in body should match '\^\(\[0-9\]\+/ },
    database: { revisions: null, tables: [] },
  },
  {
    name: 'an empty baseline: accepted by the CRD, refused by the operator (InvalidSpec)',
    target: 'sqlite',
    files: { ...USERS },
    spec: () => ({ baseline: '' }),
    expect: stalled(Reason.InvalidSpec, /bad-\d+-sqlite\/app: invalid spec: spec\.baseline: must not be empty/),
    database: { revisions: null, tables: [] },
  },
  {
    name: 'approval.destructiveCodes with a code that does not exist: InvalidSpec',
    target: 'sqlite',
    files: { ...USERS },
    spec: () => ({ approval: { policy: 'Destructive', destructiveCodes: ['DS1O2'] } }),
    expect: stalled(Reason.InvalidSpec, 'spec.approval.destructiveCodes[0]: "DS1O2" is not a known lint code'),
    database: { revisions: null, tables: [] },
  },
  {
    name: 'cloud and dir.remote: UnsupportedField, both named',
    target: 'sqlite',
    spec: () => ({ dir: { remote: { name: 'app', tag: 'v1' } }, cloud: { project: 'app', tokenFrom: { secretKeyRef: { name: 'cloud', key: 'token' } } } }),
    configMap: null,
    expect: stalled(Reason.UnsupportedField, /bad-\d+-sqlite\/app: not supported by this operator: spec\.cloud \(Atlas Cloud\), spec\.dir\.remote \(Atlas Cloud directories\)/),
    database: { revisions: null, tables: [] },
  },
];
