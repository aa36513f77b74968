import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { credentialsFromDockerConfig, parseChallenges } from './auth';
import { OciError } from './errors';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('parseChallenges', () => {
  it('reads Bearer with quoted parameters, several challenges, and Basic', () => {
    assert.deepEqual(parseChallenges('Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull"'), [
      { scheme: 'bearer', params: { realm: 'https://auth.example.com/token', service: 'registry.example.com', scope: 'repository:a/b:pull' } },
    ]);
    assert.deepEqual(parseChallenges(['Basic realm="Registry Realm"', 'Bearer realm=https://x/t, service=s']), [
      { scheme: 'basic', params: { realm: 'Registry Realm' } },
      { scheme: 'bearer', params: { realm: 'https://x/t', service: 's' } },
    ]);
    assert.deepEqual(parseChallenges('Bearer realm="a\\"b", scope="repository:x:pull,push"'), [{ scheme: 'bearer', params: { realm: 'a"b', scope: 'repository:x:pull,push' } }]);
    assert.deepEqual(parseChallenges(undefined), []);
  });
});

describe('credentialsFromDockerConfig', () => {
  const config = JSON.stringify({
    auths: {
      'https://registry.example.com/v1/': { auth: b64('wide:one') },
      'registry.example.com/team': { username: 'team', password: 'two' },
      'registry.example.com:5000': { auth: b64('port:th:ree') },
      'https://index.docker.io/v1/': { auth: b64('hub:four') },
    },
  });
  it('matches by host, the longest path prefix first, with ports and Docker Hub aliases', () => {
    assert.deepEqual(credentialsFromDockerConfig(config, 'registry.example.com', 'other/m'), { username: 'wide', password: 'one' });
    assert.deepEqual(credentialsFromDockerConfig(config, 'registry.example.com', 'team/m'), { username: 'team', password: 'two' });
    assert.deepEqual(credentialsFromDockerConfig(config, 'registry.example.com', 'teamx/m'), { username: 'wide', password: 'one' });
    assert.deepEqual(credentialsFromDockerConfig(config, 'registry.example.com:5000', 'm'), { username: 'port', password: 'th:ree' });
    assert.deepEqual(credentialsFromDockerConfig(config, 'docker.io', 'library/m'), { username: 'hub', password: 'four' });
    assert.equal(credentialsFromDockerConfig(config, 'ghcr.io', 'm'), undefined);
  });
  it('reads the older bare map, and says what is wrong with a malformed one', () => {
    assert.deepEqual(credentialsFromDockerConfig(JSON.stringify({ 'r.example.com': { auth: b64('a:b') } }), 'r.example.com', 'm'), { username: 'a', password: 'b' });
    const format = (m: RegExp) => (e: unknown) => e instanceof OciError && e.code === 'Format' && m.test(e.message);
    assert.throws(() => credentialsFromDockerConfig('{', 'r', 'm'), format(/not JSON/));
    assert.throws(() => credentialsFromDockerConfig(JSON.stringify({ auths: { r: { auth: b64('nocolon') } } }), 'r', 'm'), format(/"auth" that is not base64 of user:password/));
    assert.throws(() => credentialsFromDockerConfig(JSON.stringify({ auths: { r: { identitytoken: 'x' } } }), 'r', 'm'), format(/only an identitytoken/));
    assert.throws(() => credentialsFromDockerConfig(JSON.stringify({ auths: { r: {} } }), 'r', 'm'), format(/neither "auth" nor "username" and "password"/));
  });
});
