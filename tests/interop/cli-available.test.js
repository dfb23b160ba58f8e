// A failing test (not only cancelled ones) when the CLI the other files drive is missing or broken.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { cliPath, runCli } from './lib/cli.js';

it('the switchboard CLI is built and runs', async () => {
  cliPath();
  const { code, stdout, stderr } = await runCli(['--help']);
  assert.equal(code, 0, stderr);
  for (const verb of ['keys', 'sign', 'verify', 'trigger']) {
    assert.match(stdout, new RegExp(`^\\s+${verb}\\b`, 'm'), `--help lists '${verb}'`);
  }
});
