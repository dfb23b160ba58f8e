// Runs the switchboard CLI (a framework-dependent switchboard.dll) with `dotnet`, and small helpers the
// interop tests share: temp folders, header parsing, bounded concurrency.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const defaultCli = path.resolve(here, '../../../src/Switchboard.Cli/bin/Release/net10.0/switchboard.dll');

/** The path to switchboard.dll, from SWITCHBOARD_CLI or the Release build output; throws a clear error if absent. */
export function cliPath() {
  const cli = process.env.SWITCHBOARD_CLI || defaultCli;
  if (!existsSync(cli)) {
    throw new Error(
      `switchboard CLI not found at ${cli}. Build it with 'dotnet build src/Switchboard.Cli -c Release' ` +
        'from the repository root, or point SWITCHBOARD_CLI at switchboard.dll.',
    );
  }
  return cli;
}

/** Runs `dotnet switchboard.dll ...args`; resolves to { code, stdout, stderr } whatever the exit code. */
export function runCli(args, { timeoutMs = 60_000 } = {}) {
  const cli = cliPath();
  return new Promise((resolve, reject) => {
    const child = spawn('dotnet', [cli, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`switchboard ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not start 'dotnet ${cli}': ${error.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Like runCli, but fails with the command's output unless it exits 0. */
export async function runCliOk(args) {
  const result = await runCli(args);
  if (result.code !== 0) {
    throw new Error(`switchboard ${args.join(' ')} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  }
  return result;
}

/** Parses `name: value` lines (the output of `switchboard sign`) into an object keyed by name. */
export function parseHeaderLines(text) {
  const headers = {};
  for (const line of text.split('\n')) {
    const colon = line.indexOf(': ');
    if (colon > 0) {
      headers[line.slice(0, colon)] = line.slice(colon + 2).trim();
    }
  }
  return headers;
}

/** `switchboard keys generate` into a fresh folder; returns { dir, privateKeyFile, publicKey }. */
export async function generateKeys(parent, name) {
  const dir = path.join(parent, name);
  const { stdout } = await runCliOk(['keys', 'generate', '--out', dir]);
  return { dir, privateKeyFile: path.join(dir, 'ed25519.key'), publicKey: stdout.trim() };
}

/** `switchboard sign`; returns the two headers as an object. */
export async function sign(privateKeyFile, bodyFile, timestamp) {
  const args = ['sign', '--key', privateKeyFile, '--body', bodyFile];
  if (timestamp !== undefined) {
    args.push('--timestamp', String(timestamp));
  }
  const { stdout } = await runCliOk(args);
  const headers = parseHeaderLines(stdout);
  if (!headers['telnyx-timestamp'] || !headers['telnyx-signature-ed25519']) {
    throw new Error(`unexpected output from switchboard sign:\n${stdout}`);
  }
  return headers;
}

/** `switchboard verify`; returns { code, stdout, stderr }. */
export function verify({ publicKey, timestamp, signature, bodyFile }) {
  return runCli(['verify', '--public-key', publicKey, '--timestamp', timestamp, '--signature', signature, '--body', bodyFile]);
}

export async function makeTempDir() {
  return mkdtemp(path.join(tmpdir(), 'switchboard-interop-'));
}

export async function removeTempDir(dir) {
  if (dir) {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes bytes (a Buffer or a string, as UTF-8) to a new file in dir and returns its path. */
let fileCounter = 0;
export async function writeBody(dir, content) {
  const file = path.join(dir, `body-${++fileCounter}.json`);
  await writeFile(file, content);
  return file;
}

/** Maps items through an async function with at most `limit` in flight (each CLI call is a process). */
export async function mapLimit(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index], index);
    }
  });
  await Promise.all(workers);
  return results;
}
