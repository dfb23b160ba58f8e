// Starts `switchboard serve` as a real process on a free loopback port, waits for "Ready.", and reads what it prints
// (API base URL, API key, public key); and a small webhook receiver that records what arrives, as a user's app would.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import path from 'node:path';
import { cliPath, makeTempDir, removeTempDir } from './cli.js';

/** `switchboard serve --data <dir>/data --urls http://127.0.0.1:0 ...extra`; resolves once it printed "Ready.". */
export async function startServe(dir, extra = [], { timeoutMs = 60_000 } = {}) {
  const args = ['serve', '--data', path.join(dir, 'data'), '--urls', 'http://127.0.0.1:0', ...extra];
  const child = spawn('dotnet', [cliPath(), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1', SWITCHBOARD_API_KEY: '' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start within ${timeoutMs} ms\n${stdout}\n${stderr}`)), timeoutMs);
    const check = () => {
      if (stdout.includes('Ready.')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited ${code} before it was ready\n${stdout}\n${stderr}`));
    });
  });
  const field = (name) => {
    const match = stdout.match(new RegExp(`${name}:\\s+(\\S+)`));
    if (!match) throw new Error(`serve printed no ${name}:\n${stdout}`);
    return match[1];
  };
  return {
    process: child,
    baseURL: field('API base URL'),
    apiKey: field('API key'),
    publicKey: field('Public key'),
    output: () => ({ stdout, stderr }),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

/**
 * An HTTP server on a free loopback port that records every request (path, headers, raw body) and answers with
 * `respond(request)`'s status (200 by default).
 */
export async function startReceiver(respond = () => 200) {
  const requests = [];
  const waiters = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const request = { path: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(request);
      const status = respond(request);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'not ok');
      for (const waiter of [...waiters]) waiter();
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: (p = '/webhooks') => `http://127.0.0.1:${server.address().port}${p}`,
    requests,
    /** Resolves with the requests once `predicate(requests)` holds; rejects after `timeoutMs`. */
    async until(predicate, timeoutMs = 30_000, what = 'the expected webhooks') {
      if (predicate(requests)) return requests;
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${requests.length} requests: ${requests.map((r) => r.body.slice(0, 120)).join('\n')}`)), timeoutMs);
        const waiter = () => {
          if (predicate(requests)) {
            clearTimeout(timer);
            waiters.splice(waiters.indexOf(waiter), 1);
            resolve();
          }
        };
        waiters.push(waiter);
      });
      return requests;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * What the platform tests start with: a temp folder, a receiver answering `respond(request)` (see `startReceiver`), and
 * `switchboard serve` in it with a 50 ms lifecycle delay and `extra` arguments. `stop()` ends both and removes the folder.
 */
export async function startPlatform({ respond, extra = [] } = {}) {
  const dir = await makeTempDir();
  let receiver;
  let serve;
  const stop = async () => {
    await serve?.stop();
    await receiver?.close();
    await removeTempDir(dir);
  };
  try {
    receiver = await startReceiver(respond);
    serve = await startServe(dir, ['--lifecycle-delay', '50ms', ...extra]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { serve, receiver, stop };
}
