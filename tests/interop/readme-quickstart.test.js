// The README's quick start, run as a newcomer would paste it: the sh block after the "quickstart" marker in
// README.md (read from the file, so the two cannot drift), run with bash on a copy of the repository as git would
// check it out (tracked and not-ignored files only, no build output), then checked for what a newcomer should see.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The fenced sh block that follows the quickstart marker in README.md. */
export function quickStartBlock(readme) {
  const marker = readme.indexOf('<!-- quickstart:');
  assert.ok(marker >= 0, 'README.md has no <!-- quickstart: ... --> marker');
  const match = /```sh\n([\s\S]*?)\n```/.exec(readme.slice(marker));
  assert.ok(match, 'no ```sh block after the quickstart marker');
  return match[1];
}

/** A copy of the repository's tracked and untracked-but-not-ignored files, with a git index to tell what the run adds. */
function freshCopy() {
  const copy = mkdtempSync(path.join(tmpdir(), 'switchboard-quickstart-'));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root })
    .toString('utf8').split('\0').filter((f) => f && !f.startsWith('tests/interop/node_modules/'));
  for (const file of files) {
    mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
    try {
      cpSync(path.join(root, file), path.join(copy, file));
    } catch (error) {
      if (error.code !== 'ENOENT') throw error; // deleted in the work tree, not yet in git
    }
  }
  const git = (...args) => execFileSync('git', args, { cwd: copy, stdio: 'ignore' });
  git('init', '-q');
  git('add', '-A');
  git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'copy');
  return copy;
}

function run(script, cwd, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1', DOTNET_SKIP_FIRST_TIME_EXPERIENCE: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

test('the README quick start runs top to bottom on a fresh copy and leaves nothing behind but .data', { timeout: 15 * 60_000 }, async () => {
  const block = quickStartBlock(readFileSync(path.join(root, 'README.md'), 'utf8'));
  const copy = freshCopy();
  try {
    const rootBefore = readdirSync(copy).sort();
    const result = await run(block, copy, 14 * 60_000);
    const shown = `exit ${result.code} ${result.signal ?? ''}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
    assert.equal(result.code, 0, shown);

    assert.match(result.stdout, /^telnyx-timestamp: \d+$/m, shown);
    assert.match(result.stdout, /^telnyx-signature-ed25519: \S+$/m, shown);
    assert.match(result.stdout, /^valid$/m, shown);
    // The SDK step: the message went out, and its last webhook reached the receiver (listen printed all three).
    assert.match(result.stdout, /^sent \S+: queued$/m, shown);
    assert.match(result.stdout, /^message\.finalized delivered, attempt 1$/m, shown);
    for (const type of ['message.sent', 'message.delivered', 'message.finalized']) {
      assert.match(result.stdout, new RegExp(`200 {2}accepted {2}${type.replace('.', '\\.')}`), shown);
    }
    assert.match(result.stdout, /Listening on http:\/\/127\.0\.0\.1:9090\/webhooks\/telnyx/, shown);
    assert.match(result.stdout, /^message\.received \S+ -> http:\/\/127\.0\.0\.1:9090\/webhooks\/telnyx$/m, shown);
    assert.match(result.stdout, /^200 OK in \d+ ms: accepted$/m, shown);
    assert.match(result.stdout, /200 {2}accepted {2}message\.received/, shown);

    // Nothing new in the root but the ignored .data folder, and nothing git would see anywhere.
    const added = readdirSync(copy).filter((name) => !rootBefore.includes(name));
    assert.deepEqual(added, ['.data'], `new in the repository root: ${added.join(', ')}`);
    const status = execFileSync('git', ['status', '--porcelain'], { cwd: copy }).toString('utf8');
    assert.equal(status, '', `files the quick start left that git sees:\n${status}`);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});
