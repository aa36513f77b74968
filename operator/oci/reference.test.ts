import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OciError } from './errors';
import { formatReference, parseReference } from './reference';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseReference', () => {
  const good: [string, object][] = [
    ['registry.example.com/team/migrations:v2', { registry: 'registry.example.com', endpoint: 'registry.example.com', repository: 'team/migrations', tag: 'v2' }],
    [`127.0.0.1:5000/m@${D}`, { registry: '127.0.0.1:5000', endpoint: '127.0.0.1:5000', repository: 'm', digest: D }],
    [`localhost/a/b/c:1.0-rc_1@${D}`, { registry: 'localhost', endpoint: 'localhost', repository: 'a/b/c', tag: '1.0-rc_1', digest: D }],
    ['docker.io/migrations:v1', { registry: 'docker.io', endpoint: 'registry-1.docker.io', repository: 'library/migrations', tag: 'v1' }],
    ['ghcr.io/o/x__y.z-w:latest', { registry: 'ghcr.io', endpoint: 'ghcr.io', repository: 'o/x__y.z-w', tag: 'latest' }],
  ];
  for (const [text, want] of good) {
    it(`reads ${text}`, () => {
      assert.deepEqual(parseReference(text), want);
      if (!text.startsWith('docker.io')) assert.equal(formatReference(parseReference(text)), text);
    });
  }
  const bad: [string, RegExp][] = [
    ['team/migrations:v1', /does not start with a registry host/],
    ['migrations:v1', /does not start with a registry host/],
    ['registry.example.com/Team/m:v1', /invalid repository name "Team\/m"/],
    ['registry.example.com/m', /name a tag \(:v1\) or a digest/],
    ['registry.example.com/m@sha256:abc', /the digest must be sha256:<64 lower-case hex digits>/],
    ['registry.example.com/m:-x', /invalid tag "-x"/],
    ['regi_stry.example.com/m:v1', /does not start with a registry host/],
  ];
  for (const [text, message] of bad) {
    it(`refuses ${text}`, () => {
      assert.throws(() => parseReference(text), (e: unknown) => e instanceof OciError && e.code === 'Reference' && message.test(e.message));
    });
  }
});
