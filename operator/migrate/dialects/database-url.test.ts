import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildDatabaseUrl, parseDatabaseUrl, redactUrlText, scrubSecret } from './database-url';
import { InvalidUrlError, UnsupportedSchemeError } from './errors';

describe('database URLs', () => {
  it('reads MySQL and MariaDB URLs', () => {
    const u = parseDatabaseUrl('mysql://root:p%40ss@db.example:3307/app?tls=true');
    assert.deepEqual([u.dialect, u.user, u.password, u.host, u.port, u.database, u.params.get('tls')], ['mysql', 'root', 'p@ss', 'db.example', 3307, 'app', 'true']);
    assert.equal(parseDatabaseUrl('maria://u@h/x').dialect, 'mysql');
    assert.equal(parseDatabaseUrl('mariadb://u@h').database, undefined);
  });

  it('reads PostgreSQL URLs with sslmode and search_path', () => {
    const u = parseDatabaseUrl('postgresql://app:secret@[::1]:5433/shop?sslmode=disable&search_path=sales');
    assert.deepEqual([u.dialect, u.host, u.port, u.database, u.params.get('search_path')], ['postgres', '::1', 5433, 'shop', 'sales']);
  });

  it('reads SQLite file paths and memory databases', () => {
    assert.equal(parseDatabaseUrl('sqlite://dev.db').database, 'dev.db');
    assert.equal(parseDatabaseUrl('sqlite:///var/data/app.db?_fk=1').database, '/var/data/app.db');
    assert.equal(parseDatabaseUrl('sqlite://./rel/x.db').database, './rel/x.db');
    assert.equal(parseDatabaseUrl('sqlite://file?mode=memory').database, ':memory:');
  });

  it('never shows the password in the redacted form', () => {
    const u = parseDatabaseUrl('postgres://app:s3cr%2Ft@h/db');
    assert.equal(u.redacted, 'postgres://app:xxxxx@h/db');
    assert.ok(!u.redacted.includes('s3cr'));
  });

  it('rejects unknown schemes and malformed URLs without echoing the password', () => {
    assert.throws(() => parseDatabaseUrl('oracle://u:topsecret@h/x'), (e: unknown) => e instanceof UnsupportedSchemeError && /"oracle"/.test(e.message) && !e.message.includes('topsecret'));
    assert.throws(() => parseDatabaseUrl('not a url'), InvalidUrlError);
    assert.throws(() => parseDatabaseUrl('mysql://u:topsecret@/db'), (e: unknown) => e instanceof InvalidUrlError && !e.message.includes("topsecret"));
    assert.throws(() => parseDatabaseUrl("mysql:///db"), (e: unknown) => e instanceof InvalidUrlError && /missing host/.test(e.message));
    assert.throws(() => parseDatabaseUrl('mysql://u:top%zzsecret@h/db'), (e: unknown) => e instanceof InvalidUrlError && !e.message.includes('topsecret') && !e.message.includes('top%zz'));
    assert.equal(redactUrlText('mysql://u:topsecret@h:1/x'), 'mysql://u:xxxxx@h:1/x');
    // An unescaped password may hold '/', '?', '#' or '@': masked up to the last '@'.
    assert.equal(redactUrlText('postgres://admin:S3cr/et!@db/app'), 'postgres://admin:xxxxx@db/app');
    assert.equal(redactUrlText('postgres://admin:p?a#s@s@db/app'), 'postgres://admin:xxxxx@db/app');
  });

  it('builds URLs from parts, escaping every part', () => {
    const url = buildDatabaseUrl({ scheme: 'postgres', user: 'app user', password: 'p@ss:/w?rd#1', host: 'db', port: 5432, database: 'my db', parameters: { sslmode: 'disable', search_path: 'a b' } });
    assert.equal(url, 'postgres://app%20user:p%40ss%3A%2Fw%3Frd%231@db:5432/my%20db?search_path=a+b&sslmode=disable');
    const back = parseDatabaseUrl(url);
    assert.deepEqual([back.user, back.password, back.database, back.params.get('search_path')], ['app user', 'p@ss:/w?rd#1', 'my db', 'a b']);
    assert.equal(buildDatabaseUrl({ scheme: 'mysql', host: '::1' }), 'mysql://[::1]');
    assert.throws(() => buildDatabaseUrl({ scheme: 'mysql', host: '' }), InvalidUrlError);
  });

  it('scrubs a secret from database messages', () => {
    assert.equal(scrubSecret('login failed for s3cret and s3cr%40', 's3cret'), 'login failed for xxxxx and s3cr%40');
  });
});
