// switchboard trigger posts to a local node http server; the official SDK verifies what arrived.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { TelnyxWebhook } from 'telnyx/lib/webhooks.js';
import { cliPath, generateKeys, makeTempDir, removeTempDir, runCli } from './lib/cli.js';

const EVENT_TYPES = [
  'message.sent',
  'message.delivered',
  'message.failed',
  'message.received',
  'message.finalized',
  'call.initiated',
  'call.answered',
  'call.hangup',
  'call.recording.saved',
];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

let dir;
let keys;
let server;
let baseUrl;
/** Requests received, by path: { method, headers, body (raw UTF-8 text) }. */
const received = new Map();

before(async () => {
  cliPath();
  dir = await makeTempDir();
  keys = await generateKeys(dir, 'trigger');
  server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      received.set(req.url, { method: req.method, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const status = req.url.startsWith('/fail/') ? 500 : 200;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'boom');
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  baseUrl = `http://127.0.0.1:${server.address().port}`;
});

after(async () => {
  if (server) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await removeTempDir(dir);
});

async function trigger(eventType, url, ...extra) {
  return runCli(['trigger', eventType, '--to', url, '--key', keys.privateKeyFile, ...extra]);
}

describe('switchboard trigger delivers webhooks the official SDK accepts', { concurrency: 2 }, () => {
  for (const eventType of EVENT_TYPES) {
    it(eventType, async () => {
      const url = `${baseUrl}/webhooks/${eventType}`;
      const result = await trigger(eventType, url);
      assert.equal(result.code, 0, `exit ${result.code}: ${result.stdout}${result.stderr}`);
      assert.match(result.stdout, /^200 /m, 'prints the response status');

      const request = received.get(`/webhooks/${eventType}`);
      assert.ok(request, 'the server received the webhook');
      assert.equal(request.method, 'POST');
      assert.match(request.headers['content-type'], /^application\/json/);

      // node lower-cases header names; the SDK looks them up case-insensitively either way.
      await new TelnyxWebhook(keys.publicKey).verify(request.body, request.headers);

      const webhook = JSON.parse(request.body);
      assert.equal(webhook.data.event_type, eventType);
      assert.match(webhook.data.id, UUID);
      assert.equal(webhook.data.record_type, 'event');
      assert.equal(typeof webhook.data.payload, 'object');
      assert.equal(webhook.meta.attempt, 1);
      assert.equal(webhook.meta.delivered_to, url);
    });
  }

  it('keeps the signature valid with --set overrides', async () => {
    const url = `${baseUrl}/webhooks/override`;
    const result = await trigger('message.received', url, '--set', 'data.payload.text=héllo 👋', '--set', 'data.payload.parts:=2');
    assert.equal(result.code, 0, `exit ${result.code}: ${result.stdout}${result.stderr}`);
    const request = received.get('/webhooks/override');
    await new TelnyxWebhook(keys.publicKey).verify(request.body, request.headers);
    const webhook = JSON.parse(request.body);
    assert.equal(webhook.data.payload.text, 'héllo 👋');
    assert.equal(webhook.data.payload.parts, 2);
  });

  it('exits 1 when the receiver answers 500, after delivering a valid webhook', async () => {
    const url = `${baseUrl}/fail/call.hangup`;
    const result = await trigger('call.hangup', url);
    assert.equal(result.code, 1, `exit ${result.code}: ${result.stdout}${result.stderr}`);
    assert.match(result.stdout, /^500 /m);
    const request = received.get('/fail/call.hangup');
    await new TelnyxWebhook(keys.publicKey).verify(request.body, request.headers);
  });

  it('is rejected by the SDK when checked against another key', async () => {
    const other = await generateKeys(dir, 'other');
    const result = await trigger('message.sent', `${baseUrl}/webhooks/other-key`);
    assert.equal(result.code, 0, `exit ${result.code}: ${result.stdout}${result.stderr}`);
    const request = received.get('/webhooks/other-key');
    await assert.rejects(new TelnyxWebhook(other.publicKey).verify(request.body, request.headers), {
      name: 'TelnyxWebhookVerificationError',
      message: /signature does not match/,
    });
  });
});
