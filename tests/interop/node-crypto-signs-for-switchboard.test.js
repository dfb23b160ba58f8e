// Signatures made with node:crypto exactly as Telnyx makes them, checked by switchboard verify.
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { TelnyxWebhook } from 'telnyx/lib/webhooks.js';
import { cliPath, generateKeys, makeTempDir, mapLimit, removeTempDir, sign, verify, writeBody } from './lib/cli.js';
import { corpus } from './lib/corpus.js';
import { changeOneByte } from './lib/tamper.js';

// DER prefixes of an Ed25519 SubjectPublicKeyInfo and PKCS#8 private key (RFC 8410); the raw key follows.
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The public key as Telnyx shows it: base64 of the raw 32 bytes at the end of the SPKI DER. */
function rawPublicKeyBase64(publicKey) {
  const der = publicKey.export({ format: 'der', type: 'spki' });
  assert.equal(der.length, SPKI_PREFIX.length + 32);
  assert.ok(der.subarray(0, SPKI_PREFIX.length).equals(SPKI_PREFIX), 'an Ed25519 SPKI');
  return der.subarray(SPKI_PREFIX.length).toString('base64');
}

/** Signs as Telnyx does: Ed25519 over UTF-8 of `${timestamp}|${raw body}`, base64 signature. */
function telnyxSign(privateKey, timestamp, bodyBytes) {
  const signed = Buffer.concat([Buffer.from(`${timestamp}|`, 'utf8'), bodyBytes]);
  return cryptoSign(null, signed, privateKey).toString('base64');
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

let dir;
let pair;
let publicKey;
let otherPublicKey;

before(async () => {
  cliPath();
  dir = await makeTempDir();
  pair = generateKeyPairSync('ed25519');
  publicKey = rawPublicKeyBase64(pair.publicKey);
  otherPublicKey = rawPublicKeyBase64(generateKeyPairSync('ed25519').publicKey);
});

after(() => removeTempDir(dir));

describe('switchboard verify accepts node:crypto Ed25519 signatures made as Telnyx makes them', { concurrency: 2 }, () => {
  for (const entry of corpus) {
    it(entry.name, async () => {
      const bytes = Buffer.from(entry.body, 'utf8');
      const timestamp = String(nowSeconds());
      const signature = telnyxSign(pair.privateKey, timestamp, bytes);

      // The SDK is the control: if it disagrees, the signing above is not what Telnyx does.
      await new TelnyxWebhook(publicKey).verify(entry.body, { 'telnyx-timestamp': timestamp, 'telnyx-signature-ed25519': signature });

      const result = await verify({ publicKey, timestamp, signature, bodyFile: await writeBody(dir, bytes) });
      assert.equal(result.code, 0, `exit ${result.code}: ${result.stderr}`);
      assert.equal(result.stdout.trim(), 'valid');
    });
  }
});

describe('switchboard verify rejects tampered node:crypto webhooks with the reason on stderr', { concurrency: 2 }, () => {
  const body = Buffer.from(corpus[0].body, 'utf8');
  const fresh = () => {
    const timestamp = String(nowSeconds());
    return { timestamp, signature: telnyxSign(pair.privateKey, timestamp, body) };
  };

  const rejections = [
    { name: 'a body byte changed', reason: /^signature_mismatch: /, make: () => ({ ...fresh(), bytes: changeOneByte(body, 100) }) },
    {
      name: 'the body re-serialised pretty-printed',
      reason: /^signature_mismatch: .*re-serialised/,
      make: () => ({ ...fresh(), bytes: Buffer.from(JSON.stringify(JSON.parse(corpus[0].body), null, 2)) }),
    },
    {
      name: 'the timestamp changed',
      reason: /^signature_mismatch: /,
      make: () => {
        const signed = fresh();
        return { ...signed, timestamp: String(Number(signed.timestamp) - 1), bytes: body };
      },
    },
    {
      name: 'signed ten minutes ago',
      reason: /^timestamp_outside_tolerance: .*too old/,
      make: () => {
        const timestamp = String(nowSeconds() - 600);
        return { timestamp, signature: telnyxSign(pair.privateKey, timestamp, body), bytes: body };
      },
    },
    {
      name: 'a timestamp in milliseconds',
      reason: /^timestamp_outside_tolerance: .*milliseconds/,
      make: () => {
        const timestamp = String(Date.now());
        return { timestamp, signature: telnyxSign(pair.privateKey, timestamp, body), bytes: body };
      },
    },
    {
      name: 'a signature cut short',
      reason: /^wrong_signature_length: /,
      make: () => {
        const signed = fresh();
        return { ...signed, signature: Buffer.from(signed.signature, 'base64').subarray(0, 63).toString('base64'), bytes: body };
      },
    },
    {
      name: 'a hex signature instead of base64',
      reason: /^(malformed_signature|wrong_signature_length): /,
      make: () => {
        const signed = fresh();
        return { ...signed, signature: Buffer.from(signed.signature, 'base64').toString('hex'), bytes: body };
      },
    },
    { name: 'checked against another public key', reason: /^signature_mismatch: /, key: () => otherPublicKey, make: () => ({ ...fresh(), bytes: body }) },
  ];

  for (const rejection of rejections) {
    it(rejection.name, async () => {
      const { timestamp, signature, bytes } = rejection.make();
      const result = await verify({
        publicKey: rejection.key ? rejection.key() : publicKey,
        timestamp,
        signature,
        bodyFile: await writeBody(dir, bytes),
      });
      assert.equal(result.code, 1, `expected exit 1; got ${result.code}: ${result.stdout}${result.stderr}`);
      assert.equal(result.stdout.trim(), '', 'nothing on stdout when invalid');
      assert.match(result.stderr.trim(), rejection.reason);
    });
  }
});

describe('the same key gives the same bytes in switchboard and node:crypto', () => {
  it('keys generate writes a key node:crypto can load, and sign matches node:crypto signature for signature', async () => {
    const keys = await generateKeys(dir, 'shared');
    const seed = Buffer.from((await readFile(keys.privateKeyFile, 'utf8')).trim(), 'base64');
    assert.equal(seed.length, 32, 'the private key file holds base64 of the 32-byte seed');
    const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    assert.equal(rawPublicKeyBase64(createPublicKey(privateKey)), keys.publicKey);
    assert.equal((await readFile(`${keys.dir}/ed25519.pub`, 'utf8')).trim(), keys.publicKey);

    // Ed25519 is deterministic: same key, same bytes, same signature.
    const timestamp = 1761329402;
    await mapLimit(corpus, 2, async (entry) => {
      const bytes = Buffer.from(entry.body, 'utf8');
      const headers = await sign(keys.privateKeyFile, await writeBody(dir, bytes), timestamp);
      assert.equal(headers['telnyx-timestamp'], String(timestamp));
      assert.equal(headers['telnyx-signature-ed25519'], telnyxSign(privateKey, timestamp, bytes), entry.name);
    });
  });
});
