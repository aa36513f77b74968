/**
 * The apply engine's own logic (cancellation, beforeExecute, lock and
 * connection clean-up, txMode all) on a fake in-memory driver that records
 * every call in order. Real databases are covered by the integration tests;
 * here each rule gets a test that fails when the rule's code is removed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apply, type ApplyOptions } from './apply';
import { parseDatabaseUrl } from './dialects/database-url';
import type { Driver, Session, Unlock } from './dialects/driver';
import { QueryError } from './dialects/errors';
import type { Revision } from './dialects/revision';
import { SQL_SYNTAX } from './dialects/syntax';
import { directoryFromEntries, type MigrationDirectory } from './directory';
import { CancelledError, StatementExecError } from './errors';

interface Faults {
  /** Returns the error a statement fails with, if any. */
  execute?: (sql: string) => Error | undefined;
  unlock?: Error;
  /** The release of driver.hold()'s connection. */
  unhold?: Error;
  /** Session.release(). */
  release?: Error;
}

/**
 * An in-memory Driver. `calls` lists every call in order (`execute <sql>`,
 * `write <version> <applied>/<total>`, `begin`, `lock`, `unlock`…). With
 * `transactional` it behaves like PostgreSQL/SQLite: a rollback undoes the
 * revision writes since begin; otherwise (MySQL's implicit DDL commits) writes stay.
 */
class FakeDriver implements Driver {
  readonly dialect = 'postgres';
  readonly syntax = SQL_SYNTAX.postgres;
  readonly url = parseDatabaseUrl('postgres://u@h/db?search_path=public');
  readonly boundSchema = 'public';
  readonly calls: string[] = [];
  readonly revisions = new Map<string, Revision>();
  /** Called after each statement ran (to abort mid-run without timers). */
  afterExecute: (sql: string) => void = () => undefined;
  private snapshot: Map<string, Revision> | undefined;

  constructor(
    readonly transactionalDdl: boolean,
    readonly faults: Faults = {},
  ) {}

  defaultRevisionsSchema(): string {
    return 'public';
  }
  ping(): Promise<void> {
    return Promise.resolve();
  }
  hold(): Promise<() => Promise<void>> {
    this.calls.push('hold');
    return Promise.resolve(() => this.fail('unhold', this.faults.unhold));
  }
  lock(name: string): Promise<Unlock> {
    this.calls.push(`lock ${name}`);
    return Promise.resolve(() => this.fail('unlock', this.faults.unlock));
  }
  /** Where each planning unit began and ended in `calls`. */
  readonly planningSpans: [number, number][] = [];
  async planning<T>(run: () => Promise<T>): Promise<T> {
    const start = this.calls.length;
    try {
      return await run();
    } finally {
      this.planningSpans.push([start, this.calls.length]);
    }
  }
  revisionsTableExists(): Promise<boolean> {
    this.calls.push('revisionsTableExists');
    return Promise.resolve(this.revisions.size > 0);
  }
  ensureRevisionsTable(): Promise<void> {
    this.calls.push('ensureRevisionsTable');
    return Promise.resolve();
  }
  readRevisions(): Promise<Revision[]> {
    this.calls.push('readRevisions');
    return Promise.resolve(this.sortedRevisions());
  }
  readLastRevision(): Promise<Revision | undefined> {
    return Promise.resolve(this.sortedRevisions().at(-1));
  }
  checkClean(): Promise<string | undefined> {
    this.calls.push('checkClean');
    return Promise.resolve(undefined);
  }
  session(): Promise<Session> {
    this.calls.push('session');
    return Promise.resolve({
      execute: (sql) => this.execute(sql),
      begin: () => {
        this.calls.push('begin');
        this.snapshot = new Map(this.revisions);
        return Promise.resolve();
      },
      commit: () => {
        this.calls.push('commit');
        this.snapshot = undefined;
        return Promise.resolve();
      },
      rollback: () => {
        this.calls.push('rollback');
        if (this.transactionalDdl && this.snapshot !== undefined) this.replaceRevisions(this.snapshot);
        this.snapshot = undefined;
        return Promise.resolve();
      },
      writeRevision: (r) => {
        this.calls.push(`write ${r.version} ${r.applied}/${r.total}`);
        this.revisions.set(r.version, { ...r });
        return Promise.resolve();
      },
      release: () => this.fail('release', this.faults.release),
    });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }

  /** The calls of one kind, in order (`execute`, `write`, …), without their arguments for the bare ones. */
  only(...kinds: string[]): string[] {
    return this.calls.filter((c) => kinds.includes(c.split(' ')[0] as string));
  }

  private execute(sql: string): Promise<void> {
    this.calls.push(`execute ${sql}`);
    const error = this.faults.execute?.(sql);
    if (error !== undefined) return Promise.reject(error);
    this.afterExecute(sql);
    return Promise.resolve();
  }
  private fail(call: string, error: Error | undefined): Promise<void> {
    this.calls.push(call);
    return error === undefined ? Promise.resolve() : Promise.reject(error);
  }
  private sortedRevisions(): Revision[] {
    return [...this.revisions.values()].sort((a, b) => (a.version < b.version ? -1 : 1));
  }
  private replaceRevisions(from: ReadonlyMap<string, Revision>): void {
    this.revisions.clear();
    for (const [k, v] of from) this.revisions.set(k, v);
  }
}

/** Files `1_a.sql` … with two statements each (`S1a;` `S1b;`), and their atlas.sum. */
function directory(count: number): MigrationDirectory {
  const files = Array.from({ length: count }, (_, i) => [`${i + 1}_f.sql`, `S${i + 1}a;\nS${i + 1}b;\n`] as const);
  const withoutSum = directoryFromEntries(files, 'test');
  return directoryFromEntries([...files, ['atlas.sum', withoutSum.computedSum().format()]], 'test');
}

const OPTS: ApplyOptions = { operatorVersion: 'ours' };

function summary(d: FakeDriver): Record<string, string> {
  return Object.fromEntries([...d.revisions.values()].map((r) => [r.version, `${r.applied}/${r.total}${r.partialHashes === null ? '' : ' partial'}`]));
}

describe('apply: cancellation by signal', () => {
  // Mutant killed: executor's `if (run.signal?.aborted === true) throw new CancelledError(…)` removed.
  it('txMode none: stops after the running statement; the revision shows the statements that ran', async () => {
    const d = new FakeDriver(false);
    const abort = new AbortController();
    d.afterExecute = (sql) => {
      if (sql === 'S2a;') abort.abort();
    };
    await assert.rejects(apply(d, directory(3), { ...OPTS, txMode: 'none', signal: abort.signal }), CancelledError);
    assert.deepEqual(
      d.only('execute'),
      ['execute S1a;', 'execute S1b;', 'execute S2a;'],
      'S2b (the statement after the abort) and file 3 never ran',
    );
    assert.deepEqual(summary(d), { '1': '2/2', '2': '1/2 partial' });
    assert.deepEqual(d.revisions.get('2')?.partialHashes?.length, 1);
    assert.deepEqual(d.calls.slice(-3), ['release', 'unlock', 'unhold'], 'session, lock and connection released');
  });

  it('txMode file on transactional DDL: the interrupted file is rolled back, earlier files stay', async () => {
    const d = new FakeDriver(true);
    const abort = new AbortController();
    d.afterExecute = (sql) => {
      if (sql === 'S2a;') abort.abort();
    };
    await assert.rejects(apply(d, directory(3), { ...OPTS, signal: abort.signal }), CancelledError);
    assert.deepEqual(d.only('execute'), ['execute S1a;', 'execute S1b;', 'execute S2a;']);
    assert.deepEqual(d.only('begin', 'commit', 'rollback'), ['begin', 'commit', 'begin', 'rollback']);
    assert.deepEqual(summary(d), { '1': '2/2' });
  });

  it('txMode all on transactional DDL: nothing stays', async () => {
    const d = new FakeDriver(true);
    const abort = new AbortController();
    d.afterExecute = (sql) => {
      if (sql === 'S2a;') abort.abort();
    };
    await assert.rejects(apply(d, directory(3), { ...OPTS, txMode: 'all', signal: abort.signal }), CancelledError);
    assert.deepEqual(d.only('execute'), ['execute S1a;', 'execute S1b;', 'execute S2a;']);
    assert.deepEqual(d.only('begin', 'commit', 'rollback'), ['begin', 'rollback']);
    assert.deepEqual(summary(d), {});
  });

  // Mutant killed: apply()'s early `signal.aborted` check removed (the lock would be taken and the table created).
  it('an already aborted signal: no connection, no lock, nothing written', async () => {
    const d = new FakeDriver(false);
    await assert.rejects(apply(d, directory(1), { ...OPTS, signal: AbortSignal.abort() }), CancelledError);
    assert.deepEqual(d.calls, []);
  });
});

describe('apply: beforeExecute', () => {
  // Mutants killed: the call moved before the lock or after executeRun; called per file.
  it('is awaited once, with the plan, under the lock and before the first statement', async () => {
    const d = new FakeDriver(false);
    const seen: { current: string | undefined; files: string[] }[] = [];
    await apply(d, directory(2), {
      ...OPTS,
      beforeExecute: (plan) => {
        d.calls.push('beforeExecute');
        seen.push({ current: plan.current, files: plan.files.map((f) => `${f.name} ${f.statements} from ${f.resumeAt}`) });
        return Promise.resolve();
      },
    });
    assert.deepEqual(seen, [{ current: undefined, files: ['1_f.sql 2 from 0', '2_f.sql 2 from 0'] }]);
    const at = (call: string) => d.calls.indexOf(call);
    assert.ok(at('lock atlas_migrate_execute') < at('beforeExecute'), 'lock taken before');
    assert.ok(at('beforeExecute') < at('session') && at('beforeExecute') < at('execute S1a;'), 'before anything runs');
    assert.ok(at('beforeExecute') < at('unlock'), 'lock released after');
  });

  it('sees a resumed file and the current version', async () => {
    const d = new FakeDriver(false);
    await apply(d, directory(1), OPTS);
    const twoFiles = directory(2);
    let plan: { current: string | undefined; files: readonly { name: string }[] } | undefined;
    await apply(d, twoFiles, { ...OPTS, beforeExecute: (p) => Promise.resolve(void (plan = p)) });
    assert.equal(plan?.current, '1');
    assert.deepEqual(plan?.files.map((f) => f.name), ['2_f.sql']);
  });

  // Mutant killed: the `run.planned.length > 0` condition dropped.
  it('is not called when nothing is pending', async () => {
    const d = new FakeDriver(false);
    const dir = directory(2);
    await apply(d, dir, OPTS);
    let called = 0;
    const result = await apply(d, dir, { ...OPTS, beforeExecute: () => Promise.resolve(void called++) });
    assert.equal(called, 0);
    assert.equal(result.target, undefined);
  });

  // Mutants killed: its rejection swallowed; the call outside the settle() that releases the lock.
  it('a throw: no statement runs, nothing is written, the lock and connection are released', async () => {
    const d = new FakeDriver(false);
    const refused = new Error('status write failed');
    await assert.rejects(apply(d, directory(2), { ...OPTS, beforeExecute: () => Promise.reject(refused) }), (e) => e === refused);
    assert.deepEqual(d.only('execute', 'write', 'session', 'begin'), []);
    assert.deepEqual(d.calls.slice(-2), ['unlock', 'unhold']);
  });

  // Atlas's order: the table exists before the dirty check and the plan (SQLite's "found multiple tables: N" counts it).
  it('on a database without history, the revisions table is created before planning, as Atlas does', async () => {
    const d = new FakeDriver(false);
    await apply(d, directory(1), { ...OPTS, beforeExecute: () => Promise.resolve(void d.calls.push('beforeExecute')) });
    const order = d.calls.filter((c) => ['ensureRevisionsTable', 'checkClean', 'beforeExecute'].includes(c));
    assert.deepEqual(order, ['ensureRevisionsTable', 'checkClean', 'beforeExecute']);
  });
});

describe('apply: the planning queries', () => {
  // Mutant killed: planRun's queries taken out of driver.planning (one bounded transaction instead of one each).
  // Mutant killed too: the guard's answer not reused (the bound schema's table asked for twice).
  it('run in one planning unit, after the lock, before any session; the bound schema\'s table is asked for once', async () => {
    const d = new FakeDriver(false);
    await apply(d, directory(1), OPTS);
    assert.equal(d.planningSpans.length, 1);
    const [start, end] = d.planningSpans[0] as [number, number];
    // The bound schema, then Atlas's shared schema (the ambiguity guard); the first answer serves the history read.
    assert.deepEqual(d.calls.slice(start, end), ['revisionsTableExists', 'revisionsTableExists', 'ensureRevisionsTable', 'readRevisions', 'checkClean']);
    assert.ok(d.calls.indexOf('lock atlas_migrate_execute') < start);
    assert.ok(d.calls.indexOf('session') >= end);
  });
});

describe('apply: clean-up never hides the statement error (settle)', () => {
  const failing = () => ({ execute: (sql: string) => (sql === 'S1b;' ? new QueryError('syntax error at "S1b"') : undefined) });
  const isStatementError = (e: unknown) => e instanceof StatementExecError && e.message.includes('syntax error at "S1b"');

  // Mutant killed: settle()'s `cleanup().catch(() => undefined)` on the failure path replaced by `await cleanup()`.
  it('a failing statement and a failing unlock: the statement error is thrown, the connection still released', async () => {
    const d = new FakeDriver(false, { ...failing(), unlock: new Error('unlock: connection lost') });
    await assert.rejects(apply(d, directory(1), OPTS), isStatementError);
    assert.deepEqual(d.calls.slice(-2), ['unlock', 'unhold']);
  });

  it('a failing statement and a failing connection release: the statement error is thrown', async () => {
    const d = new FakeDriver(false, { ...failing(), unhold: new Error('release: connection lost') });
    await assert.rejects(apply(d, directory(1), OPTS), isStatementError);
  });

  // Mutant killed: executeRun's session release in a plain `finally` (its error replaces the statement's).
  it('a failing statement and a failing session release: the statement error is thrown, the lock still released', async () => {
    const d = new FakeDriver(false, { ...failing(), release: new Error('session release: connection lost') });
    await assert.rejects(apply(d, directory(1), OPTS), isStatementError);
    assert.deepEqual(d.calls.slice(-3), ['release', 'unlock', 'unhold']);
  });

  it('every clean-up failing at once: still the statement error', async () => {
    const d = new FakeDriver(false, { ...failing(), release: new Error('a'), unlock: new Error('b'), unhold: new Error('c') });
    await assert.rejects(apply(d, directory(1), OPTS), isStatementError);
  });

  // Mutant killed: settle() ignoring cleanup errors on success too.
  it('a successful run and a failing unlock: the unlock error is thrown', async () => {
    const lost = new Error('unlock: connection lost');
    const d = new FakeDriver(false, { unlock: lost });
    await assert.rejects(apply(d, directory(1), OPTS), (e) => e === lost);
    assert.equal(d.calls.at(-1), 'unhold', 'the connection is released after a failed unlock');
  });

  it('a successful run and a failing session release: that error is thrown', async () => {
    const lost = new Error('session release: connection lost');
    const d = new FakeDriver(false, { release: lost });
    await assert.rejects(apply(d, directory(1), OPTS), (e) => e === lost);
  });
});

describe('apply: txMode all', () => {
  // Mutants killed: `all` computed false (no begin), a begin/commit per file.
  it('success: one begin and one commit around every file', async () => {
    const d = new FakeDriver(true);
    await apply(d, directory(3), { ...OPTS, txMode: 'all' });
    assert.deepEqual(d.only('begin', 'commit', 'rollback', 'execute'), [
      'begin',
      'execute S1a;',
      'execute S1b;',
      'execute S2a;',
      'execute S2b;',
      'execute S3a;',
      'execute S3b;',
      'commit',
    ]);
    assert.deepEqual(summary(d), { '1': '2/2', '2': '2/2', '3': '2/2' });
  });

  // Mutant killed: the rollback in runFiles' catch removed.
  it('a failure: one rollback, no commit, nothing stays on transactional DDL', async () => {
    const d = new FakeDriver(true, { execute: (sql) => (sql === 'S3a;' ? new QueryError('boom') : undefined) });
    await assert.rejects(apply(d, directory(3), { ...OPTS, txMode: 'all' }), StatementExecError);
    assert.deepEqual(d.only('begin', 'commit', 'rollback'), ['begin', 'rollback']);
    assert.deepEqual(summary(d), {});
  });

  // Mutant killed: `&& !ctx.opts.dryRun` dropped from runFiles' `all`.
  it('dryRun: no transaction at all, nothing executed or written', async () => {
    const d = new FakeDriver(true);
    const result = await apply(d, directory(2), { ...OPTS, txMode: 'all', dryRun: true });
    assert.deepEqual(d.only('begin', 'commit', 'rollback', 'execute', 'write', 'ensureRevisionsTable'), []);
    assert.equal(result.target, '2');
    assert.equal(result.dryRun, true);
  });
});

describe('apply: statements that are not UTF-8', () => {
  function withBytes(content: Buffer): MigrationDirectory {
    const files = [['1_ok.sql', Buffer.from('S1a;\n')] as const, ['2_bad.sql', content] as const];
    const withoutSum = directoryFromEntries(files, 'test');
    return directoryFromEntries([...files, ['atlas.sum', withoutSum.computedSum().format()]], 'test');
  }

  // Mutant killed: the check removed (the statement ran with U+FFFD in place of the byte and the run succeeded).
  it('refuses the run before any statement, naming file, line, column and byte', async () => {
    const d = new FakeDriver(true);
    const bad = Buffer.concat([Buffer.from("S2a;\nINSERT INTO t VALUES ('caf"), Buffer.from([0xe9]), Buffer.from("');\n")]);
    await assert.rejects(apply(d, withBytes(bad), OPTS), /"2_bad\.sql": 2:27: statement 2 is not valid UTF-8 \(byte 0xE9\)/);
    assert.deepEqual(d.only('execute', 'write', 'session'), []);
  });

  it('lets multi-byte UTF-8 through unchanged', async () => {
    const d = new FakeDriver(true);
    await apply(d, withBytes(Buffer.from("INSERT INTO t VALUES ('café ✓ 🚀');\n")), OPTS);
    assert.deepEqual(d.only('execute'), ['execute S1a;', "execute INSERT INTO t VALUES ('café ✓ 🚀');"]);
  });
});

describe('apply: the first run on a database (clean check, baseline) and what the result says', () => {
  it('takes Atlas\'s lock, atlas_migrate_execute', async () => {
    const d = new FakeDriver(true);
    await apply(d, directory(1), OPTS);
    assert.deepEqual(d.only('lock'), ['lock atlas_migrate_execute']);
  });

  it('checks the database is clean only on a first run without allowDirty or baseline', async () => {
    const fresh = new FakeDriver(true);
    await apply(fresh, directory(1), OPTS);
    assert.deepEqual(fresh.only('checkClean'), ['checkClean']);
    const dirtyAllowed = new FakeDriver(true);
    await apply(dirtyAllowed, directory(1), { ...OPTS, allowDirty: true });
    assert.deepEqual(dirtyAllowed.only('checkClean'), []);
    const again = new FakeDriver(true);
    await apply(again, directory(1), OPTS);
    await apply(again, directory(2), OPTS);
    assert.deepEqual(again.only('checkClean'), ['checkClean'], 'not on the second run, which has history');
  });

  it('a baseline: written as its own revision before the later files, with no clean check; not written in a dry run', async () => {
    const d = new FakeDriver(true);
    const events: string[] = [];
    const result = await apply(d, directory(3), { ...OPTS, baseline: '1', onEvent: (e) => e.type === 'baseline' && events.push(`baseline ${e.version}`) });
    assert.deepEqual(d.only('checkClean'), []);
    assert.equal(d.revisions.get('1')?.type, 1, 'a baseline revision (type 1)');
    assert.deepEqual(d.only('execute'), ['execute S2a;', 'execute S2b;', 'execute S3a;', 'execute S3b;']);
    assert.deepEqual(events, ['baseline 1']);
    assert.equal(result.baseline, '1');
    const dry = new FakeDriver(true);
    await apply(dry, directory(3), { ...OPTS, baseline: '1', dryRun: true });
    assert.deepEqual(dry.only('write', 'execute'), []);
  });

  it('a dry run on a database with history creates nothing and begins no transaction', async () => {
    const d = new FakeDriver(true);
    await apply(d, directory(1), OPTS);
    d.calls.length = 0;
    const result = await apply(d, directory(2), { ...OPTS, dryRun: true });
    assert.deepEqual(d.only('ensureRevisionsTable', 'begin', 'commit', 'execute', 'write'), []);
    assert.equal(result.dryRun, true);
    assert.equal(result.target, '2');
  });

  it('the result names the last revision before the run and how many there were; a real run is not a dry run', async () => {
    const d = new FakeDriver(true);
    const first = await apply(d, directory(2), OPTS);
    assert.equal(first.lastRevision, undefined);
    assert.equal(first.appliedBefore, 0);
    assert.equal(first.dryRun, false);
    const second = await apply(d, directory(3), OPTS);
    assert.equal(second.lastRevision?.version, '2');
    assert.equal(second.appliedBefore, 2);
    assert.equal(second.current, '2');
  });

  it('on transactional DDL inside a transaction only the file\'s final revision is written; statement by statement otherwise', async () => {
    const inTx = new FakeDriver(true);
    await apply(inTx, directory(1), OPTS);
    assert.deepEqual(inTx.only('write'), ['write 1 2/2']);
    const noTx = new FakeDriver(true);
    await apply(noTx, directory(1), { ...OPTS, txMode: 'none' });
    assert.deepEqual(noTx.only('write'), ['write 1 0/2', 'write 1 1/2', 'write 1 2/2', 'write 1 2/2']);
    const mysqlLike = new FakeDriver(false);
    await apply(mysqlLike, directory(1), OPTS);
    assert.deepEqual(mysqlLike.only('write'), ['write 1 0/2', 'write 1 1/2', 'write 1 2/2', 'write 1 2/2']);
    const all = new FakeDriver(true);
    await apply(all, directory(2), { ...OPTS, txMode: 'all' });
    assert.deepEqual(all.only('write'), ['write 1 2/2', 'write 2 2/2']);
  });

  it('times are elapsed times: the lock wait and each file\'s duration are small and not negative', async () => {
    const d = new FakeDriver(true, { execute: (sql) => (sql === 'S2b;' ? new Error('boom') : undefined) });
    const times: number[] = [];
    await apply(d, directory(2), {
      ...OPTS,
      onEvent: (e) => {
        if (e.type === 'lock-acquired') times.push(e.waitedMs);
        if (e.type === 'file-done' || e.type === 'file-failed') times.push(e.durationMs);
      },
    }).catch(() => undefined);
    assert.equal(times.length, 3);
    assert.ok(times.every((t) => t >= 0 && t < 10_000), times.join(', '));
  });

  it('an aborted signal before the start says so', async () => {
    const abort = new AbortController();
    abort.abort();
    await assert.rejects(apply(new FakeDriver(true), directory(1), { ...OPTS, signal: abort.signal }), (e: unknown) => e instanceof CancelledError && e.message === 'migration cancelled before it started');
  });

  it('a byte that is not UTF-8 on a later line of a statement: its own line and column', async () => {
    const files = [['1_bad.sql', Buffer.concat([Buffer.from('INSERT INTO t\nVALUES (\'a'), Buffer.from([0x80]), Buffer.from('b\');\n')])] as const];
    const withoutSum = directoryFromEntries(files, 'test');
    const dir = directoryFromEntries([...files, ['atlas.sum', withoutSum.computedSum().format()]], 'test');
    await assert.rejects(apply(new FakeDriver(true), dir, OPTS), /"1_bad\.sql": 2:11: statement 1 is not valid UTF-8 \(byte 0x80\)/);
  });
});
