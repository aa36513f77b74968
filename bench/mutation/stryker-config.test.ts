/**
 * Stryker runs only the test files its config lists: a new test of a file
 * in scope that is missing there leaves that file's score lower than its
 * tests earn (read-spec and friends scored 45-67 % with their own tests
 * unlisted). Every unit test that imports a file in scope must be listed,
 * and every listed file must exist.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { it } from 'node:test';

const ROOT = join(__dirname, '..', '..');
const config = JSON.parse(readFileSync(join(__dirname, 'stryker.config.json'), 'utf8')) as { mutate: string[]; tap: { testFiles: string[] } };

/** The config's `mutate` list: plain paths and `dir/*.ts` patterns, `!` excluding. */
function inScope(): Set<string> {
  const files = new Set<string>();
  const matches = (pattern: string): string[] => {
    if (!pattern.includes('*')) return [pattern];
    const dir = dirname(pattern);
    const re = new RegExp(`^${pattern.slice(dir.length + 1).replace(/\./g, '\\.').replace(/\*/g, '[^/]*')}$`);
    return readdirSync(join(ROOT, dir)).filter((f) => re.test(f)).map((f) => `${dir}/${f}`);
  };
  for (const p of config.mutate.filter((x) => !x.startsWith('!'))) for (const f of matches(p)) files.add(f);
  for (const p of config.mutate.filter((x) => x.startsWith('!'))) for (const f of matches(p.slice(1))) files.delete(f);
  return files;
}

function unitTests(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) return unitTests(path);
    return e.name.endsWith('.test.ts') && !e.name.endsWith('.integration.test.ts') && !e.name.endsWith('.e2e.test.ts') ? [path] : [];
  });
}

function relativeImports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/from '(\.{1,2}\/[^']+)'/g)].map((m) => relative(ROOT, resolve(ROOT, dirname(file), `${m[1] ?? ''}.ts`)));
}

it('every unit test that imports a file in mutation scope is in the Stryker test list', () => {
  const scope = inScope();
  assert.ok(scope.size >= 15 && scope.has('operator/controller/steps/read-spec.ts'), `the mutate list reads as ${[...scope].join(', ')}`);
  const listed = new Set(config.tap.testFiles);
  const missing = unitTests('operator').filter((t) => !listed.has(t) && relativeImports(t).some((f) => scope.has(f)));
  assert.deepEqual(missing, [], 'add these to bench/mutation/stryker.config.json tap.testFiles');
});

it('every listed test file exists', () => {
  assert.deepEqual(config.tap.testFiles.filter((f) => !existsSync(join(ROOT, f))), []);
});
