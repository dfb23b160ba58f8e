// `serve --telnyx-events`: start-up says Telnyx's event set is on, and a profile that does not choose its event types
// gets what Telnyx sends (message.sent, message.finalized carrying the outcome; no message.delivered or
// message.failed). Without the flag, start-up says the seed's set is on.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Telnyx from 'telnyx';
import { startPlatform } from './lib/serve.js';

let platform;
let serve;
let receiver;

before(async () => {
  platform = await startPlatform({ extra: ['--telnyx-events'] });
  ({ serve, receiver } = platform);
});

after(() => platform?.stop());

describe('serve --telnyx-events', () => {
  it('says so at start, and a profile that does not choose gets Telnyx\'s events, the outcome in message.finalized', async () => {
    assert.match(serve.output().stdout, /Message events: Telnyx's set \(message\.sent, message\.finalized, message\.received\)/);
    const client = new Telnyx({ apiKey: serve.apiKey, baseURL: serve.baseURL, maxRetries: 0 });
    const profile = (await client.messagingProfiles.create({ name: 'telnyx events', whitelisted_destinations: ['US'], webhook_url: receiver.url() })).data;
    await client.numberOrders.create({ phone_numbers: [{ phone_number: '+18445550173' }], messaging_profile_id: profile.id });

    const delivered = (await client.messages.send({ from: '+18445550173', to: '+13125550100', text: 'ok' })).data;
    const failed = (await client.messages.send({ from: '+18445550173', to: '+13125550101', text: 'landline' })).data;
    const eventsOf = (id) => receiver.requests.map((r) => JSON.parse(r.body).data).filter((e) => e.payload.id === id);
    await receiver.until(() => [delivered.id, failed.id].every((id) => eventsOf(id).some((e) => e.event_type === 'message.finalized')), 30_000, 'message.finalized of both');

    assert.deepEqual(eventsOf(delivered.id).map((e) => e.event_type), ['message.sent', 'message.finalized']);
    assert.deepEqual(eventsOf(failed.id).map((e) => e.event_type), ['message.sent', 'message.finalized']);
    assert.equal(eventsOf(delivered.id)[1].payload.to[0].status, 'delivered');
    assert.equal(eventsOf(failed.id)[1].payload.to[0].status, 'delivery_failed');
    assert.equal(eventsOf(failed.id)[1].payload.errors[0].code, '40001');
  });
});
