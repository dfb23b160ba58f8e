// Our signer (the CLI) against the official SDK's verifier, and both verifiers on the same tampered inputs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TelnyxWebhook } from 'telnyx/lib/webhooks.js';
import { cliPath, generateKeys, makeTempDir, mapLimit, removeTempDir, sign, verify, writeBody } from './lib/cli.js';
import { corpus } from './lib/corpus.js';
import { asText, changeOneByte, flipSignatureBit } from './lib/tamper.js';

let dir;
let keyA;
let keyB;
/** corpus entries with file (the body on disk), headers (signed with key A now) and staleHeaders (10 min ago). */
let signed;

before(async () => {
  cliPath();
  dir = await makeTempDir();
  [keyA, keyB] = await Promise.all([generateKeys(dir, 'a'), generateKeys(dir, 'b')]);
  const tenMinutesAgo = Math.floor(Date.now() / 1000) - 600;
  signed = await mapLimit(corpus, 2, async (entry) => {
    const file = await writeBody(dir, entry.body);
    const headers = await sign(keyA.privateKeyFile, file);
    const staleHeaders = await sign(keyA.privateKeyFile, file, tenMinutesAgo);
    const otherKeyHeaders = await sign(keyB.privateKeyFile, file);
    return { ...entry, file, bytes: Buffer.from(entry.body, 'utf8'), headers, staleHeaders, otherKeyHeaders };
  });
});

after(() => removeTempDir(dir));

async function sdkVerdict(publicKey, body, headers) {
  try {
    await new TelnyxWebhook(publicKey).verify(body, headers);
    return { valid: true, reason: '' };
  } catch (error) {
    assert.equal(error.name, 'TelnyxWebhookVerificationError', `the SDK failed for an unexpected reason: ${error.stack}`);
    return { valid: false, reason: error.message };
  }
}

describe('TelnyxWebhook (telnyx@7.24.0) verifies what switchboard sign produces', () => {
  corpus.forEach((entry, index) => {
    it(entry.name, async () => {
      const { body, headers } = signed[index];
      assert.match(headers['telnyx-timestamp'], /^\d{10}$/, 'timestamp is Unix seconds');
      assert.ok(Math.abs(Number(headers['telnyx-timestamp']) - Date.now() / 1000) < 300, 'timestamp is now');
      assert.equal(Buffer.from(headers['telnyx-signature-ed25519'], 'base64').length, 64);
      const verdict = await sdkVerdict(keyA.publicKey, body, headers);
      assert.ok(verdict.valid, `the SDK rejected our signature: ${verdict.reason}`);
    });
  });

  it('with header names in any case, as HTTP servers may present them', async () => {
    const { body, headers } = signed[0];
    const verdict = await sdkVerdict(keyA.publicKey, body, {
      'Telnyx-Timestamp': headers['telnyx-timestamp'],
      'Telnyx-Signature-Ed25519': headers['telnyx-signature-ed25519'],
    });
    assert.ok(verdict.valid, verdict.reason);
  });
});

/** Each case: how to build the (body bytes, headers) a receiver sees from a signed entry. */
const cases = [
  { name: 'unchanged', make: (s) => ({ bytes: s.bytes, headers: s.headers }) },
  { name: 'first byte changed', make: (s) => ({ bytes: changeOneByte(s.bytes, 0), headers: s.headers }) },
  { name: 'middle byte changed', make: (s) => ({ bytes: changeOneByte(s.bytes, s.bytes.length >> 1), headers: s.headers }) },
  { name: 'last byte changed', make: (s) => ({ bytes: changeOneByte(s.bytes, s.bytes.length - 1), headers: s.headers }) },
  {
    name: 're-serialised with JSON.stringify(JSON.parse(body))',
    make: (s) => ({ bytes: Buffer.from(JSON.stringify(JSON.parse(s.body)), 'utf8'), headers: s.headers }),
  },
  {
    name: 're-serialised pretty-printed',
    make: (s) => ({ bytes: Buffer.from(JSON.stringify(JSON.parse(s.body), null, 2), 'utf8'), headers: s.headers }),
  },
  {
    name: 'timestamp changed by one second',
    make: (s) => ({
      bytes: s.bytes,
      headers: { ...s.headers, 'telnyx-timestamp': String(Number(s.headers['telnyx-timestamp']) + 1) },
    }),
  },
  { name: 'genuine signature, but ten minutes old', make: (s) => ({ bytes: s.bytes, headers: s.staleHeaders }) },
  { name: 'signature made with another key', make: (s) => ({ bytes: s.bytes, headers: s.otherKeyHeaders }) },
  {
    name: 'one bit of the signature flipped',
    make: (s) => ({
      bytes: s.bytes,
      headers: { ...s.headers, 'telnyx-signature-ed25519': flipSignatureBit(s.headers['telnyx-signature-ed25519']) },
    }),
  },
];

describe('the SDK and switchboard verify agree on valid and tampered webhooks', () => {
  corpus.forEach((entry, index) => {
    describe(entry.name, { concurrency: 2 }, () => {
      for (const testCase of cases) {
        it(testCase.name, async () => {
          const original = signed[index];
          const { bytes, headers } = testCase.make(original);
          // A case that leaves every byte as signed (re-serialising '{}', say) must pass; anything else must fail.
          const expectValid = bytes.equals(original.bytes) && headers === original.headers;

          const sdk = await sdkVerdict(keyA.publicKey, asText(bytes), headers);
          const ours = await verify({
            publicKey: keyA.publicKey,
            timestamp: headers['telnyx-timestamp'],
            signature: headers['telnyx-signature-ed25519'],
            bodyFile: await writeBody(dir, bytes),
          });

          const detail = `SDK: ${sdk.valid ? 'valid' : sdk.reason}; switchboard verify: exit ${ours.code} ${ours.stdout.trim()}${ours.stderr.trim()}`;
          assert.equal(ours.code === 0, sdk.valid, `the verifiers disagree. ${detail}`);
          assert.equal(sdk.valid, expectValid, `expected ${expectValid ? 'valid' : 'invalid'}. ${detail}`);
          if (expectValid) {
            assert.equal(ours.stdout.trim(), 'valid');
          } else {
            assert.equal(ours.code, 1, detail);
            assert.notEqual(ours.stderr.trim(), '', 'switchboard verify names the reason on stderr');
          }
        });
      }
    });
  });
});
