// The official telnyx SDK (TELNYX_BASE_URL pointed at `switchboard serve`) drives the messaging platform as it drives
// Telnyx: a profile with a webhook URL, a number ordered onto it, a message sent; a local receiver verifies the webhooks
// with the SDK's own TelnyxWebhook, in lifecycle order.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Telnyx, { AuthenticationError, UnprocessableEntityError } from 'telnyx';
import { TelnyxWebhook } from 'telnyx/lib/webhooks.js';
import { startPlatform } from './lib/serve.js';

let platform;
let serve;
let receiver;
let client;
let profile;
const ourNumber = '+18445550123';

before(async () => {
  platform = await startPlatform();
  ({ serve, receiver } = platform);
  process.env.TELNYX_BASE_URL = serve.baseURL;
  client = new Telnyx({ apiKey: serve.apiKey, maxRetries: 0 });
  profile = (await client.messagingProfiles.create({ name: 'interop', whitelisted_destinations: ['US'], webhook_url: receiver.url('/webhooks') })).data;
  await client.numberOrders.create({ phone_numbers: [{ phone_number: ourNumber }], messaging_profile_id: profile.id });
});

after(() => platform?.stop());

/** Polls `probe` until it returns something truthy (at most 10 s). */
async function eventually(probe, what) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The webhooks of one message, verified by the SDK, in arrival order. */
async function webhooksOf(messageId, count) {
  const mine = (requests) => requests.filter((r) => JSON.parse(r.body).data.payload.id === messageId);
  await receiver.until((requests) => mine(requests).length >= count, 30_000, `${count} webhooks of message ${messageId}`);
  const verifier = new TelnyxWebhook(serve.publicKey);
  const events = [];
  for (const request of mine(receiver.requests)) {
    await verifier.verify(request.body, request.headers); // throws if the signature does not verify
    events.push(JSON.parse(request.body));
  }
  return events;
}

describe('the messaging platform through the official SDK', () => {
  it('sends a message whose webhooks arrive signed, in lifecycle order, each at attempt 1', async () => {
    const sent = (await client.messages.send({ from: ourNumber, to: '+13125550199', text: 'Hello from the SDK' })).data;
    assert.equal(sent.to[0].status, 'queued');
    assert.equal(sent.record_type, 'message');

    const events = await webhooksOf(sent.id, 3);
    assert.deepEqual(events.map((e) => e.data.event_type), ['message.sent', 'message.delivered', 'message.finalized']);
    for (const event of events) {
      assert.equal(event.meta.attempt, 1);
      assert.equal(event.meta.delivered_to, receiver.url('/webhooks'));
      assert.equal(event.data.record_type, 'event');
      assert.equal(event.data.payload.text, 'Hello from the SDK');
    }
    assert.equal(events[0].data.payload.to[0].status, 'sent');
    assert.equal(events[2].data.payload.to[0].status, 'delivered');
    assert.ok(events[2].data.payload.completed_at);

    const retrieved = (await client.messages.retrieve(sent.id)).data;
    assert.equal(retrieved.to[0].status, 'delivered');
    assert.ok(retrieved.sent_at);
  });

  it('lists and retrieves the webhook deliveries of a message', async () => {
    const sent = (await client.messages.send({ from: ourNumber, to: '+13125550198', text: 'log me' })).data;
    const [first] = await webhooksOf(sent.id, 3);

    const page = await client.webhookDeliveries.list({ filter: { webhook: { contains: sent.id }, event_type: 'message.sent' } });
    assert.equal(page.data.length, 1);
    assert.equal(page.data[0].webhook.id, first.data.id);
    // The receiver has the request; the platform records the answer right after.
    const delivery = await eventually(async () => {
      const record = (await client.webhookDeliveries.retrieve(page.data[0].id)).data;
      return record.status === 'delivered' ? record : null;
    }, 'the delivery to be recorded as delivered');
    assert.equal(delivery.record_type, 'webhook_delivery');
    assert.equal(delivery.status, 'delivered');
    assert.equal(delivery.webhook.event_type, 'message.sent');
    assert.equal(delivery.attempts.length, 1);
    assert.equal(delivery.attempts[0].status, 'delivered');
    assert.equal(delivery.attempts[0].http.request.url, receiver.url('/webhooks'));
    assert.equal(delivery.attempts[0].http.response.status, 200);
    assert.ok(delivery.attempts[0].http.request.headers.some(([name]) => name.toLowerCase() === 'telnyx-signature-ed25519'));

    let listed = 0;
    for await (const item of client.webhookDeliveries.list({ 'page[size]': 2 })) {
      assert.equal(item.record_type, 'webhook_delivery');
      listed++;
    }
    assert.ok(listed >= 6, `auto-pagination saw ${listed} deliveries`);
  });

  it('reports a failing destination with message.failed and Telnyx error codes', async () => {
    const sent = (await client.messages.send({ from: ourNumber, to: '+13125550101', text: 'to a landline' })).data;
    const events = await webhooksOf(sent.id, 3);
    assert.deepEqual(events.map((e) => e.data.event_type), ['message.sent', 'message.failed', 'message.finalized']);
    const failed = events[1].data.payload;
    assert.equal(failed.to[0].status, 'delivery_failed');
    assert.equal(failed.errors[0].code, '40001');
    assert.equal(failed.errors[0].title, 'Not routable');
  });

  it('refuses a wrong API key with 401, and a bad request with 422 and a pointer', async () => {
    const stranger = new Telnyx({ apiKey: 'KEY0000000000000000000000', maxRetries: 0 });
    await assert.rejects(() => stranger.messagingProfiles.list(), (error) => error instanceof AuthenticationError && error.status === 401);

    await assert.rejects(
      () => client.messages.send({ from: ourNumber, to: '3125550100', text: 'no plus' }),
      (error) => error instanceof UnprocessableEntityError && error.error.errors[0].source.pointer === '/to' && error.error.errors[0].code === '10016',
    );
  });
});
