// Every webhook serve sends for a message lifecycle (delivered, failed, inbound) and a call lifecycle (outbound with
// speak, playback and a recording; inbound answered by the app; an IVR call with a speak cut short by
// gather_using_speak, a far-end key press and a transfer that bridges; a dial answered by a machine with
// answering_machine_detection) validates against Telnyx's schema for its event type
// (spec/operations.js: webhookSchemas). The seed's message.delivered and message.failed carry exactly the outbound
// message payload: they are checked against the outbound message event schema.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Telnyx from 'telnyx';
import { startPlatform } from './lib/serve.js';
import { loadSpec, unexpectedViolations } from './lib/spec.js';
import { knownWebhookViolations } from './spec/known-violations.js';
import { seedOnlyEvents, webhookSchemas } from './spec/operations.js';

const spec = loadSpec();
const ourNumber = '+18445550171';
let platform;
let serve;
let receiver;
let client;

before(async () => {
  platform = await startPlatform({
    respond: (request) => {
      const event = JSON.parse(request.body).data;
      if (event.event_type === 'call.initiated' && event.payload.direction === 'incoming') {
        client.calls.actions.answer(event.payload.call_control_id).catch((error) => (receiver.answerError = error));
      }
      return 200;
    },
  });
  ({ serve, receiver } = platform);
  client = new Telnyx({ apiKey: serve.apiKey, baseURL: serve.baseURL, maxRetries: 0 });
});

after(() => platform?.stop());

const emulator = (path, body) =>
  fetch(`${serve.baseURL.replace(/\/v2$/, '')}/_switchboard${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${serve.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then(async (response) => {
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()).data;
  });

const events = () => receiver.requests.map((r) => JSON.parse(r.body));
const has = (type, where) => events().some((e) => e.data.event_type === type && where(e.data.payload));

describe('webhooks in the shapes of Telnyx\'s webhook schemas', () => {
  it('every message and call webhook validates against the spec\'s schema for its event type', async (t) => {
    assert.match(serve.output().stdout, /Message events: the seed's set \(adds message\.delivered, message\.failed\)/);
    const profile = (await client.messagingProfiles.create({ name: 'webhooks', whitelisted_destinations: ['US'], webhook_url: receiver.url('/messages') })).data;
    const application = (await client.callControlApplications.create({ application_name: 'webhooks', webhook_event_url: receiver.url('/calls') })).data;
    await client.numberOrders.create({ phone_numbers: [{ phone_number: ourNumber }], messaging_profile_id: profile.id, connection_id: application.id });

    const delivered = (await client.messages.send({ from: ourNumber, to: '+13125550100', text: 'delivered' })).data;
    const failed = (await client.messages.send({ from: ourNumber, to: '+13125550101', text: 'failed' })).data;
    const mms = (await client.messages.send({ from: ourNumber, to: '+13125550100', subject: 'pic', media_urls: ['https://example.com/a.png'] })).data;
    const inbound = await emulator('/inbound_messages', { from: '+13125550123', to: ourNumber, text: 'hello' });

    const call = (await client.calls.dial({ connection_id: application.id, from: ourNumber, to: '+13125550110', client_state: Buffer.from('x').toString('base64') })).data;
    await receiver.until(() => has('call.answered', (p) => p.call_control_id === call.call_control_id), 30_000, 'call.answered');
    await client.calls.actions.speak(call.call_control_id, { payload: 'Hello', voice: 'female' });
    await client.calls.actions.startPlayback(call.call_control_id, { audio_url: 'https://example.com/a.mp3' });
    await client.calls.actions.startRecording(call.call_control_id, { format: 'mp3', channels: 'dual' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await client.calls.actions.hangup(call.call_control_id);
    const ringing = await emulator('/inbound_calls', { from: '+13125550123', to: ourNumber });
    await receiver.until(() => has('call.answered', (p) => p.call_control_id === ringing.call_control_id), 30_000, 'the inbound call answered');
    await client.calls.actions.hangup(ringing.call_control_id);

    // An IVR call: a speak cut short by the menu, a key pressed at the far end, a transfer that bridges.
    const ivr = await emulator('/inbound_calls', { from: '+13125550124', to: ourNumber });
    await receiver.until(() => has('call.answered', (p) => p.call_control_id === ivr.call_control_id), 30_000, 'the IVR call answered');
    await client.calls.actions.speak(ivr.call_control_id, { payload: 'Welcome', voice: 'female' });
    await client.calls.actions.gatherUsingSpeak(ivr.call_control_id, { payload: 'Press 1 for sales', voice: 'female', language: 'en-US', valid_digits: '12', maximum_digits: 1 });
    await emulator(`/calls/${encodeURIComponent(ivr.call_control_id)}/dtmf`, { digits: '1' });
    await receiver.until(() => has('call.gather.ended', (p) => p.call_control_id === ivr.call_control_id), 30_000, 'the IVR gather ended');
    await client.calls.actions.transfer(ivr.call_control_id, { to: '+13125550199' });
    await receiver.until(() => events().filter((e) => e.data.event_type === 'call.bridged' && e.data.payload.call_session_id === ivr.call_session_id).length >= 2,
      30_000, 'call.bridged on both legs');
    await client.calls.actions.hangup(ivr.call_control_id);
    const machine = (await client.calls.dial({ connection_id: application.id, from: ourNumber, to: '+13125550115', answering_machine_detection: 'greeting_end' })).data;
    await receiver.until(() => has('call.machine.greeting.ended', (p) => p.call_control_id === machine.call_control_id), 30_000, 'the machine\'s greeting ended');
    await client.calls.actions.hangup(machine.call_control_id);

    const finalized = (id) => has('message.finalized', (p) => p.id === id);
    await receiver.until(
      () => [delivered.id, failed.id, mms.id].every(finalized) && has('message.received', (p) => p.id === inbound.id)
        && has('call.recording.saved', (p) => p.call_leg_id === call.call_leg_id) && has('call.hangup', (p) => p.call_control_id === ringing.call_control_id)
        && events().filter((e) => e.data.event_type === 'call.hangup' && e.data.payload.call_session_id === ivr.call_session_id).length >= 2
        && has('call.hangup', (p) => p.call_control_id === machine.call_control_id),
      30_000, 'every message and call webhook');
    assert.equal(receiver.answerError, undefined);

    const seen = new Set();
    const failures = [];
    for (const event of events()) {
      const type = event.data.event_type;
      seen.add(type);
      const schema = webhookSchemas[type] ?? seedOnlyEvents[type];
      if (!schema) {
        failures.push(`${type}: no schema of the spec is named for it in spec/operations.js (webhookSchemas)`);
        continue;
      }
      // The outbound message event schema's event_type enum lists Telnyx's two names; the payload is what is checked.
      const body = seedOnlyEvents[type] ? { ...event, data: { ...event.data, event_type: 'message.finalized' } } : event;
      failures.push(...spec.checkWebhook(schema, body).map((line) => `${type} ${line}`));
    }
    for (const type of ['message.sent', 'message.delivered', 'message.failed', 'message.finalized', 'message.received', 'call.initiated', 'call.answered',
      'call.speak.started', 'call.speak.ended', 'call.playback.started', 'call.playback.ended', 'call.hangup', 'call.recording.saved', 'call.dtmf.received',
      'call.gather.ended', 'call.bridged', 'call.machine.detection.ended', 'call.machine.greeting.ended']) {
      assert.ok(seen.has(type), `no ${type} webhook arrived (got ${[...seen].join(', ')})`);
    }
    const unknown = unexpectedViolations(t, failures, knownWebhookViolations);
    assert.deepEqual(unknown, [], `\n${unknown.join('\n')}`);
  });

  it('message.delivered and message.failed carry exactly the payload of the message.finalized that follows', async () => {
    const byId = (type) => new Map(events().filter((e) => e.data.event_type === type).map((e) => [e.data.payload.id, e.data.payload]));
    const finals = byId('message.finalized');
    for (const type of Object.keys(seedOnlyEvents)) {
      for (const [id, payload] of byId(type)) {
        assert.deepEqual(Object.keys(payload).sort(), Object.keys(finals.get(id)).sort(), `${type} of ${id} has the fields of message.finalized`);
        assert.deepEqual(payload.to, finals.get(id).to);
      }
    }
  });
});
