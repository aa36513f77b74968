/** The shared e2e steps refuse to pass without checking anything. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { databaseDownAndBack, type ScenarioTarget } from './migration-scenarios';

it('databaseDownAndBack fails (never passes silently) on a target without a database server', async () => {
  const noServer = { namespace: 'sqlite-1', url: 'sqlite:///tmp/x.db', files: {}, tables: () => Promise.resolve([]) } as unknown as ScenarioTarget;
  await assert.rejects(databaseDownAndBack(noServer), /needs a database server; sqlite-1 has none/);
});
