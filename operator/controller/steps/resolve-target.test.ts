/**
 * resolveTarget beyond the walk-through: every credentials part from a
 * Secret, the fingerprint (never the password, parameters in one order),
 * and what a failure keeps out of its message.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DriverError } from '../../migrate/dialects/errors';
import { ApiError } from '../kube/api-client';
import { resolveTarget } from './resolve-target';
import { StepError } from './step-error';
import { b64, reader, stepError } from './steps.test-kit';

const spec = (over: object) => ({ dir: { local: {} }, ...over }) as never;
const ref = (name: string, key: string) => ({ secretKeyRef: { name, key } });

describe('resolveTarget: credentials', () => {
  it('host, user and password each from a Secret (trimmed), the rest literal; all Secret values kept as secrets', async () => {
    const reads: string[] = [];
    const t = await resolveTarget(
      spec({ credentials: { scheme: 'mysql', hostFrom: ref('db', 'host'), userFrom: ref('db', 'user'), passwordFrom: ref('pw', 'p'), port: 3306, database: 'app' } }),
      'team',
      reader({ secrets: { db: { data: { host: b64(' db.internal\n'), user: b64('svc\n') } }, pw: { data: { p: b64('hunter2\n') } } }, reads }),
    );
    assert.equal(t.url, 'mysql://svc:hunter2@db.internal:3306/app');
    assert.deepEqual(reads.sort(), ['Secret team/db', 'Secret team/db', 'Secret team/pw']);
    assert.deepEqual(new Set(t.secrets), new Set(['db.internal', 'hunter2', 'svc']));
    assert.equal(t.fingerprint, 'mysql://svc@db.internal:3306/app?');
    assert.equal(t.database, 'mysql://db.internal:3306/app');
  });

  it('a literal password is a secret too; an empty one is not', async () => {
    const t = await resolveTarget(spec({ credentials: { scheme: 'postgres', user: 'u', password: 'literal-pw', host: 'pg' } }), 'ns', reader({}));
    assert.ok(t.secrets.includes('literal-pw'));
    assert.equal(t.url, 'postgres://u:literal-pw@pg');
    const none = await resolveTarget(spec({ credentials: { scheme: 'postgres', user: 'u', password: '', host: 'pg' } }), 'ns', reader({}));
    assert.ok(!none.secrets.includes(''));
  });

  it('parameters given without a value are left out', async () => {
    const t = await resolveTarget(spec({ credentials: { scheme: 'postgres', host: 'pg', parameters: { sslmode: 'disable', search_path: undefined } } }), 'ns', reader({}));
    assert.equal(t.url, 'postgres://pg?sslmode=disable');
  });

  it('a part no URL can hold is refused naming spec.credentials (ResolvingTarget, permanent)', async () => {
    const err = await resolveTarget(spec({ credentials: { scheme: 'my sql', host: 'h' } }), 'ns', reader({})).catch((e: unknown) => e);
    assert.ok(stepError('ResolvingTarget', 'permanent', /^spec\.credentials: invalid URL scheme "my sql"$/)(err), String(err));
    assert.ok((err as Error).cause instanceof DriverError);
  });

  it('a missing password Secret names spec.credentials.passwordFrom', async () => {
    await assert.rejects(
      resolveTarget(spec({ credentials: { scheme: 'mysql', host: 'h', passwordFrom: ref('pw', 'p') } }), 'ns', reader({})),
      stepError('ResolvingTarget', 'permanent', /^Secret "pw" not found in namespace "ns" \(spec\.credentials\.passwordFrom\.secretKeyRef\)$/),
    );
  });

  it('a part whose Secret is missing names that part; the values read before it stay secret', async () => {
    const s = spec({ credentials: { scheme: 'mysql', passwordFrom: ref('pw', 'p'), hostFrom: ref('gone', 'host') } });
    const err = await resolveTarget(s, 'ns', reader({ secrets: { pw: { data: { p: b64('hunter2') } } } })).catch((e: unknown) => e);
    assert.ok(stepError('ResolvingTarget', 'permanent', /^Secret "gone" not found in namespace "ns" \(spec\.credentials\.hostFrom\.secretKeyRef\)$/)(err), String(err));
    assert.deepEqual((err as StepError).secrets, ['hunter2']);
  });

  it('a key missing from the Secret names the key field of the part', async () => {
    await assert.rejects(
      resolveTarget(spec({ credentials: { scheme: 'mysql', host: 'h', userFrom: ref('db', 'user') } }), 'ns', reader({ secrets: { db: { data: {} } } })),
      stepError('ResolvingTarget', 'permanent', /^Secret "db" has no key "user" \(spec\.credentials\.userFrom\.secretKeyRef\.key\)$/),
    );
  });
});

describe('resolveTarget: url and urlFrom', () => {
  it('a literal URL\'s password is a secret; the fingerprint sorts the parameters and drops the password', async () => {
    const t = await resolveTarget(spec({ url: 'postgres://admin:pa55@pg:5432/app?sslmode=disable&application_name=x' }), 'ns', reader({}));
    assert.deepEqual(t.secrets, ['pa55']);
    assert.equal(t.fingerprint, 'postgres://admin@pg:5432/app?application_name=x&sslmode=disable');
    assert.equal(t.database, 'postgres://pg:5432/app');
  });

  it('parts a URL leaves out are empty in the fingerprint and the database key, never a placeholder', async () => {
    const cases = [
      ['sqlite://file.db', 'sqlite://@file.db:/file.db?', 'sqlite://file.db:/file.db'],
      ['postgres://pg/app', 'postgres://@pg:/app?', 'postgres://pg:/app'],
      ['mysql://h:3306', 'mysql://@h:3306/?', 'mysql://h:3306/'],
    ];
    for (const [url, fingerprint, database] of cases) {
      const t = await resolveTarget(spec({ url }), 'ns', reader({}));
      assert.deepEqual([t.fingerprint, t.database], [fingerprint, database], url);
    }
  });

  it('two URLs that differ only in the order of their parameters have one fingerprint', async () => {
    const a = await resolveTarget(spec({ url: 'mysql://u@h:3306/d?a=1&b=2' }), 'ns', reader({}));
    const b = await resolveTarget(spec({ url: 'mysql://u@h:3306/d?b=2&a=1' }), 'ns', reader({}));
    assert.equal(a.fingerprint, b.fingerprint);
  });

  it('no target at all is refused, saying what to set', async () => {
    await assert.rejects(resolveTarget(spec({}), 'ns', reader({})), stepError('ResolvingTarget', 'permanent', /^no target database defined: set url, urlFrom or credentials$/));
  });

  it('a failed Secret read names the Secret and the field, and keeps the API\'s message', async () => {
    await assert.rejects(
      resolveTarget(spec({ urlFrom: ref('db', 'url') }), 'ns', reader({ fail: new ApiError(500, 'InternalError', 'etcd is down') })),
      stepError('ResolvingTarget', 'transient', /^reading Secret "db" \(spec\.urlFrom\.secretKeyRef\): .*etcd is down/),
    );
    const err = await resolveTarget(spec({ urlFrom: ref('db', 'url') }), 'ns', reader({ fail: new ApiError(500, 'InternalError', 'etcd is down') })).catch((e: unknown) => e);
    assert.ok((err as Error).cause instanceof ApiError, 'the API error is kept as the cause');
  });

  it('a URL read from a Secret that fails to parse keeps what was read secret', async () => {
    const err = await resolveTarget(spec({ urlFrom: ref('db', 'url') }), 'ns', reader({ secrets: { db: { data: { url: b64('mysql://u:pw@h:99999/d') } } } })).catch((e: unknown) => e);
    assert.ok(err instanceof StepError && err.reason === 'ResolvingTarget' && err.kind === 'permanent', String(err));
    assert.ok(err.cause instanceof DriverError, 'the parser\'s error is kept as the cause');
    assert.deepEqual(err.secrets, ['mysql://u:pw@h:99999/d']);
  });
});
