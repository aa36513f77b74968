/**
 * The Dockerfile (for people with Docker) and `make image` (without) must
 * describe the same image: user, working folder, entrypoint, command,
 * environment and the files under /app.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { APP_ENTRIES, OPERATOR_RUNTIME } from './operator-image';

interface FinalStage {
  user?: string;
  workdir?: string;
  entrypoint?: string[];
  cmd?: string[];
  env: string[];
  appEntries: string[];
}

/** The instructions of the Dockerfile's last stage (continuation lines joined, comments dropped). */
function finalStage(dockerfile: string): FinalStage {
  const lines = dockerfile.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const last = lines.map((l) => l.startsWith('FROM ')).lastIndexOf(true);
  const stage: FinalStage = { env: [], appEntries: [] };
  for (const line of lines.slice(last + 1)) {
    const [instruction = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (instruction === 'USER') stage.user = args;
    if (instruction === 'WORKDIR') stage.workdir = args;
    if (instruction === 'ENTRYPOINT') stage.entrypoint = JSON.parse(args) as string[];
    if (instruction === 'CMD') stage.cmd = JSON.parse(args) as string[];
    if (instruction === 'ENV') stage.env.push(args.replace(/\s+/, '='));
    if (instruction === 'COPY') {
      const destination = rest.at(-1) ?? '';
      stage.appEntries.push(destination.replace(/^\.\/?/, '') || (rest.at(-2) ?? '').split('/').at(-1) || '');
    }
  }
  return stage;
}

describe('Dockerfile and make image', () => {
  const stage = finalStage(readFileSync(join(__dirname, '..', '..', 'Dockerfile'), 'utf8'));

  it('run the same program, as the same user, from the same folder', () => {
    assert.equal(stage.user, OPERATOR_RUNTIME.User);
    assert.equal(stage.workdir, OPERATOR_RUNTIME.WorkingDir);
    assert.deepEqual(stage.entrypoint, OPERATOR_RUNTIME.Entrypoint);
    assert.deepEqual(stage.cmd, OPERATOR_RUNTIME.Cmd);
  });

  it('set the same environment (PATH aside, which the Dockerfile inherits from its base)', () => {
    assert.deepEqual(stage.env, OPERATOR_RUNTIME.Env.filter((e) => !e.startsWith('PATH=')));
  });

  it('put the same entries in /app', () => {
    assert.deepEqual([...stage.appEntries].sort(), APP_ENTRIES);
  });
});
