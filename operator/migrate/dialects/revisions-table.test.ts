import assert from 'node:assert/strict';
import { it } from 'node:test';
import { columnTypes, revisionsTableDdl, revisionToRow, rowToRevision, sqliteTime } from './revisions-table';
import { RevisionType } from './revision';

it('writes the revisions table DDL Atlas prints (MySQL 8)', () => {
  assert.equal(
    revisionsTableDdl('mysql', undefined, columnTypes('mysql')),
    'CREATE TABLE `atlas_schema_revisions` (`version` varchar(255) NOT NULL, `description` varchar(255) NOT NULL, `type` bigint unsigned NOT NULL DEFAULT 2, `applied` bigint NOT NULL DEFAULT 0, `total` bigint NOT NULL DEFAULT 0, `executed_at` timestamp NOT NULL, `execution_time` bigint NOT NULL, `error` longtext NULL, `error_stmt` longtext NULL, `hash` varchar(255) NOT NULL, `partial_hashes` json NULL, `operator_version` varchar(255) NOT NULL, PRIMARY KEY (`version`)) CHARSET utf8mb4 COLLATE utf8mb4_bin',
  );
});

it('writes the revisions table DDL Atlas prints (PostgreSQL)', () => {
  assert.equal(
    revisionsTableDdl('postgres', 'public', columnTypes('postgres')),
    'CREATE TABLE "public"."atlas_schema_revisions" ("version" character varying NOT NULL, "description" character varying NOT NULL, "type" bigint NOT NULL DEFAULT 2, "applied" bigint NOT NULL DEFAULT 0, "total" bigint NOT NULL DEFAULT 0, "executed_at" timestamptz NOT NULL, "execution_time" bigint NOT NULL, "error" text NULL, "error_stmt" text NULL, "hash" character varying NOT NULL, "partial_hashes" jsonb NULL, "operator_version" character varying NOT NULL, PRIMARY KEY ("version"))',
  );
});

it('uses NULL-able timestamps on MariaDB and varchar(191) on old servers', () => {
  const ddl = revisionsTableDdl('mysql', 'app', columnTypes('mysql', { mariadb: true, legacyVarchar: true }));
  assert.match(ddl, /`executed_at` timestamp NULL,/);
  assert.match(ddl, /`version` varchar\(191\) NOT NULL/);
});

it('round-trips a revision; partial_hashes is compact JSON, null when done, a blob on SQLite', () => {
  const r = {
    version: '1', description: 'a', type: RevisionType.Execute, applied: 1, total: 2, executedAt: new Date('2026-01-02T03:04:05.5Z'),
    executionTime: 42, error: '', errorStmt: '', hash: 'x', partialHashes: ['h1:a'], operatorVersion: 'v',
  };
  const pg = revisionToRow(r, 'postgres');
  assert.equal(pg.partial_hashes, '["h1:a"]');
  assert.equal(revisionToRow({ ...r, partialHashes: null }, 'mysql').partial_hashes, 'null');
  const lite = revisionToRow(r, 'sqlite');
  assert.ok(Buffer.isBuffer(lite.partial_hashes));
  assert.equal(lite.executed_at, '2026-01-02 03:04:05.5+00:00');
  assert.deepEqual(rowToRevision({ ...lite, applied: '1', total: '2', type: '2' }), r);
  assert.equal(sqliteTime(new Date('2026-01-02T03:04:05Z')), '2026-01-02 03:04:05+00:00');
});
