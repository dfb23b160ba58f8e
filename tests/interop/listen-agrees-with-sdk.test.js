// A running `switchboard listen` (the receiver library over HTTP) and the official SDK's TelnyxWebhook agree
// on a corpus of valid and tampered requests, signed with node:crypto exactly as Telnyx signs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { TelnyxWebhook } from 'telnyx/lib/webhooks.js';
import { cliPath, makeTempDir, removeTempDir } from './lib/cli.js';
import { corpus } from './lib/corpus.js';
import { asText, changeOneByte, flipSignatureBit } from './lib/tamper.js';

const SPKI_PREFIX_LENGTH = 12;
const rawPublicKeyBase64 = (publicKey) => publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX_LENGTH).toString('base64');
const nowSeconds = () => Math.floor(Date.now() / 1000);

function telnyxHeaders(privateKey, bytes, timestamp = nowSeconds()) {
  const signed = Buffer.concat([Buffer.from(`${timestamp}|`, 'utf8'), bytes]);
  return { 'telnyx-timestamp': String(timestamp), 'telnyx-signature-ed25519': cryptoSign(null, signed, privateKey).toString('base64') };
}

let dir;
let listen;
let baseUrl;
let pair;
let other;
let publicKey;

before(async () => {
  dir = await makeTempDir();
  pair = generateKeyPairSync('ed25519');
  other = generateKeyPairSync('ed25519');
  publicKey = rawPublicKeyBase64(pair.publicKey);
  listen = spawn('dotnet', [cliPath(), 'listen', '--urls', 'http://127.0.0.1:0', '--public-key', publicKey, '--data', `${dir}/data`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' },
  });
  let stderr = '';
  listen.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  baseUrl = await new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`listen did not start within 60 s\n${stdout}\n${stderr}`)), 60_000);
    listen.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
      const match = /Listening on (http:\/\/127\.0\.0\.1:\d+)\/webhooks\/telnyx/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    listen.on('exit', (code) => reject(new Error(`listen exited ${code}\n${stdout}\n${stderr}`)));
  });
});

after(async () => {
  if (listen && listen.exitCode === null) {
    const exited = new Promise((resolve) => listen.on('exit', resolve));
    listen.kill('SIGTERM');
    await exited;
  }
  await removeTempDir(dir);
});

async function sdkValid(body, headers) {
  try {
    await new TelnyxWebhook(publicKey).verify(body, headers);
    return true;
  } catch (error) {
    assert.equal(error.name, 'TelnyxWebhookVerificationError', `the SDK failed for an unexpected reason: ${error.stack}`);
    return false;
  }
}

/** POSTs to listen; the signature was accepted unless the answer is 401 (400 = verified but not a webhook, e.g. '{}'). */
async function listenVerdict(bytes, headers) {
  const response = await fetch(`${baseUrl}/webhooks/telnyx`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: bytes,
  });
  const text = await response.text();
  assert.ok([200, 400, 401].includes(response.status), `unexpected ${response.status}: ${text}`);
  return { valid: response.status !== 401, status: response.status, text };
}

const cases = [
  { name: 'unchanged', valid: true, make: (bytes) => ({ bytes, headers: telnyxHeaders(pair.privateKey, bytes) }) },
  { name: 'middle byte changed', bodyOnly: true, make: (bytes) => ({ bytes: changeOneByte(bytes, bytes.length >> 1), headers: telnyxHeaders(pair.privateKey, bytes) }) },
  { name: 'last byte changed', bodyOnly: true, make: (bytes) => ({ bytes: changeOneByte(bytes, bytes.length - 1), headers: telnyxHeaders(pair.privateKey, bytes) }) },
  {
    name: 're-serialised pretty-printed',
    bodyOnly: true,
    make: (bytes) => ({ bytes: Buffer.from(JSON.stringify(JSON.parse(bytes.toString('utf8')), null, 2), 'utf8'), headers: telnyxHeaders(pair.privateKey, bytes) }),
  },
  { name: 'ten minutes old', make: (bytes) => ({ bytes, headers: telnyxHeaders(pair.privateKey, bytes, nowSeconds() - 600) }) },
  { name: 'another key', make: (bytes) => ({ bytes, headers: telnyxHeaders(other.privateKey, bytes) }) },
  {
    name: 'signature bit flipped',
    make: (bytes) => {
      const headers = telnyxHeaders(pair.privateKey, bytes);
      return { bytes, headers: { ...headers, 'telnyx-signature-ed25519': flipSignatureBit(headers['telnyx-signature-ed25519']) } };
    },
  },
];

describe('the SDK and a running switchboard listen agree on valid and tampered requests', () => {
  corpus.forEach((entry) => {
    describe(entry.name, { concurrency: 2 }, () => {
      for (const testCase of cases) {
        it(testCase.name, async () => {
          const original = Buffer.from(entry.body, 'utf8');
          const { bytes, headers } = testCase.make(original);
          // A body change that changes nothing (pretty-printing '{}') leaves a valid request.
          const expectValid = testCase.valid === true || (testCase.bodyOnly === true && bytes.equals(original));
          const sdk = await sdkValid(asText(bytes), headers);
          const ours = await listenVerdict(bytes, headers);
          const detail = `SDK: ${sdk ? 'valid' : 'invalid'}; listen: ${ours.status} ${ours.text}`;
          assert.equal(ours.valid, sdk, `the verifiers disagree. ${detail}`);
          assert.equal(sdk, expectValid, `expected ${expectValid ? 'valid' : 'invalid'}. ${detail}`);
        });
      }
    });
  });

  it('lists every request it received in /api/requests with its verification result', async () => {
    const requests = await (await fetch(`${baseUrl}/api/requests`)).json();
    assert.ok(requests.length > 0);
    assert.ok(requests.some((r) => r.verification === 'signature_mismatch'));
    assert.ok(requests.some((r) => r.verification === 'valid'));
  });
});
