import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { PROGRAM_NAME, PROGRAM_VERSION } from './version';

it('version.ts matches package.json', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { name: string; version: string };
  assert.equal(PROGRAM_VERSION, pkg.version);
  assert.equal(PROGRAM_NAME, pkg.name);
});
