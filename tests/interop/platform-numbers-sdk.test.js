// Telnyx's getting-started flow through the official telnyx SDK against `switchboard serve`: search the inventory,
// order a number found, list the orders, read the number by the id the list gives; its messaging and voice settings;
// and a call's recording listed, read, downloaded without the API key and deleted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Telnyx, { NotFoundError, UnprocessableEntityError } from 'telnyx';
import { startPlatform } from './lib/serve.js';

let platform;
let serve;
let client;
let receiver;

before(async () => {
  platform = await startPlatform();
  ({ serve, receiver } = platform);
  process.env.TELNYX_BASE_URL = serve.baseURL;
  client = new Telnyx({ apiKey: serve.apiKey, maxRetries: 0 });
});

after(() => platform?.stop());

async function all(page) {
  const items = [];
  for await (const item of page) items.push(item);
  return items;
}

describe("Telnyx's getting started through the official SDK", () => {
  it('searches numbers, orders one, lists the orders and reads the number by the id the list gives', async () => {
    const filter = { country_code: 'US', locality: 'Chicago', features: ['sms', 'voice'], limit: 3 };
    const search = await client.availablePhoneNumbers.list({ filter });
    assert.equal(search.data.length, 3);
    assert.equal(search.metadata.total_results, 3);
    const [wanted] = search.data;
    assert.equal(wanted.record_type, 'available_phone_number');
    assert.match(wanted.phone_number, /^\+1312/);

    const order = (await client.numberOrders.create({ phone_numbers: [{ phone_number: wanted.phone_number }], customer_reference: 'getting-started' })).data;
    assert.equal(order.status, 'success');
    assert.equal(order.phone_numbers[0].phone_number, wanted.phone_number);
    assert.equal('messaging_profile_id' in order, false);
    // The order line's id is the line's, not the number's: Telnyx answers 404 for it, so does serve.
    await assert.rejects(client.phoneNumbers.retrieve(order.phone_numbers[0].id), NotFoundError);

    const orders = await all(client.numberOrders.list({ filter: { customer_reference: 'getting-started' } }));
    assert.deepEqual(orders.map((o) => o.id), [order.id]);
    const number = (await client.phoneNumbers.retrieve(orders[0].phone_numbers[0].id)).data;
    assert.equal(number.phone_number, wanted.phone_number);

    const again = await client.availablePhoneNumbers.list({ filter });
    assert.ok(!again.data.some((n) => n.phone_number === wanted.phone_number), 'a number on the account is not offered again');
    const none = await client.availablePhoneNumbers.list({ filter: { country_code: 'US', national_destination_code: '312', phone_number: { starts_with: '999' } } });
    assert.deepEqual(none.data, []);
    await assert.rejects(client.availablePhoneNumbers.list({ filter: { phone_number_type: 'landline' } }), UnprocessableEntityError);
  });

  it("reads and changes a number's messaging and voice settings", async () => {
    const profile = (await client.messagingProfiles.create({ name: 'numbers', whitelisted_destinations: ['US'] })).data;
    await client.numberOrders.create({ phone_numbers: [{ phone_number: '+13125551200' }], messaging_profile_id: profile.id });

    const ofProfile = await all(client.messagingProfiles.listPhoneNumbers(profile.id));
    assert.deepEqual(ofProfile.map((n) => [n.phone_number, n.record_type, n.type]), [['+13125551200', 'messaging_settings', 'long-code']]);
    const listed = await all(client.phoneNumbers.messaging.list({ 'filter[messaging_profile_id]': profile.id }));
    assert.deepEqual(listed, ofProfile);

    const voice = (await client.phoneNumbers.voice.update(ofProfile[0].id, { tech_prefix_enabled: true, usage_payment_method: 'channel' })).data;
    assert.equal(voice.record_type, 'voice_settings');
    assert.equal(voice.tech_prefix_enabled, true);
    assert.deepEqual((await client.phoneNumbers.voice.retrieve(ofProfile[0].id)).data, voice);
    await assert.rejects(client.phoneNumbers.voice.update(ofProfile[0].id, { inbound_call_screening: 'maybe' }), UnprocessableEntityError);
  });

  it("lists, reads and deletes a call's recording; its download link works without the API key until then", async () => {
    const application = (await client.callControlApplications.create({ application_name: 'recordings', webhook_event_url: receiver.url('/calls') })).data;
    await client.numberOrders.create({ phone_numbers: [{ phone_number: '+18445551300' }], connection_id: application.id });
    const call = (await client.calls.dial({ connection_id: application.id, from: '+18445551300', to: '+13125550110' })).data;
    const of = (type) => (requests) => requests.some((r) => JSON.parse(r.body).data.payload.call_session_id === call.call_session_id && JSON.parse(r.body).data.event_type === type);
    await receiver.until(of('call.answered'), 30_000, 'call.answered');
    await client.calls.actions.startRecording(call.call_control_id, { format: 'mp3', channels: 'single' });
    await client.calls.actions.hangup(call.call_control_id);
    await receiver.until(of('call.recording.saved'), 30_000, 'call.recording.saved');

    const recordings = await all(client.recordings.list({ filter: { call_session_id: call.call_session_id } }));
    assert.equal(recordings.length, 1);
    const [recording] = recordings;
    assert.equal(recording.call_control_id, call.call_control_id);
    assert.equal(recording.to, '+13125550110');
    assert.deepEqual((await client.recordings.retrieve(recording.id)).data.id, recording.id);
    const mp3 = await fetch(recording.download_urls.mp3); // no API key: a pre-signed link
    assert.equal(mp3.status, 200);
    assert.equal(mp3.headers.get('content-type'), 'audio/mpeg');

    assert.equal((await client.recordings.delete(recording.id)).data.id, recording.id);
    assert.equal((await fetch(recording.download_urls.mp3)).status, 404);
    await assert.rejects(client.recordings.retrieve(recording.id), NotFoundError);
  });
});
