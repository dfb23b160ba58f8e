// Call Control through the official telnyx SDK against `switchboard serve`, as a Call Control app drives Telnyx: an
// application and a number, a dialed call recorded and hung up, and an inbound call a small app answers when it sees
// call.initiated. Every webhook is verified with the SDK's TelnyxWebhook.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Telnyx from 'telnyx';
import { TelnyxWebhook } from 'telnyx/lib/webhooks.js';
import { startPlatform } from './lib/serve.js';

const ourNumber = '+18445550777';
const clientState = Buffer.from('{"order":42}').toString('base64');
let platform;
let serve;
let client;
let application;
let receiver;

before(async () => {
  // The "app": answers every incoming call it is told about, as a real Call Control app does.
  platform = await startPlatform({
    respond: (request) => {
      const event = JSON.parse(request.body).data;
      if (event.event_type === 'call.initiated' && event.payload.direction === 'incoming') {
        client.calls.actions.answer(event.payload.call_control_id, { client_state: clientState }).catch((error) => {
          receiver.answerError = error;
        });
      }
      return 200;
    },
  });
  ({ serve, receiver } = platform);
  process.env.TELNYX_BASE_URL = serve.baseURL;
  client = new Telnyx({ apiKey: serve.apiKey, maxRetries: 0 });
  application = (await client.callControlApplications.create({ application_name: 'interop calls', webhook_event_url: receiver.url('/calls') })).data;
  await client.numberOrders.create({ phone_numbers: [{ phone_number: ourNumber }], connection_id: application.id });
});

after(() => platform?.stop());

/** The verified webhooks of one call session, once `types` have all arrived. */
async function eventsOf(session, types) {
  const mine = (requests) => requests.map((r) => ({ request: r, event: JSON.parse(r.body) })).filter((e) => e.event.data.payload.call_session_id === session);
  await receiver.until((requests) => types.every((t) => mine(requests).some((e) => e.event.data.event_type === t)), 30_000, `${types.join(', ')} of ${session}`);
  const verifier = new TelnyxWebhook(serve.publicKey);
  for (const { request } of mine(receiver.requests)) {
    await verifier.verify(request.body, request.headers);
  }
  return mine(receiver.requests).map((e) => e.event);
}

describe('Call Control through the official SDK', () => {
  it('dials, records and hangs up; the recording is a WAV of the recorded length; client_state round-trips', async () => {
    const call = (await client.calls.dial({ connection_id: application.id, from: ourNumber, to: '+13125550110', client_state: clientState })).data;
    assert.equal(call.is_alive, false); // the spec: always false in a dial's answer (dialing is asynchronous)
    assert.equal((await client.calls.retrieveStatus(call.call_control_id)).data.is_alive, true);
    assert.equal(call.record_type, 'call');

    let events = await eventsOf(call.call_session_id, ['call.initiated', 'call.answered']);
    assert.deepEqual(events.map((e) => e.data.event_type), ['call.initiated', 'call.answered']);
    assert.equal(events[0].data.payload.direction, 'outgoing');

    await client.calls.actions.startRecording(call.call_control_id, { format: 'wav', channels: 'single' });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await client.calls.actions.hangup(call.call_control_id);

    events = await eventsOf(call.call_session_id, ['call.hangup', 'call.recording.saved']);
    assert.deepEqual(events.map((e) => e.data.event_type), ['call.initiated', 'call.answered', 'call.hangup', 'call.recording.saved']);
    for (const event of events) {
      assert.equal(event.data.payload.client_state, clientState);
      assert.equal(event.meta.attempt, 1);
    }
    const hangup = events[2].data.payload;
    assert.equal(hangup.hangup_cause, 'normal_clearing');
    assert.equal(hangup.hangup_source, 'caller');
    const saved = events[3].data.payload;
    assert.equal(saved.call_control_id, undefined);
    assert.equal(saved.call_leg_id, call.call_leg_id);

    const response = await fetch(saved.recording_urls.wav); // no API key: a pre-signed link
    assert.equal(response.status, 200);
    const wav = Buffer.from(await response.arrayBuffer());
    assert.equal(wav.subarray(0, 4).toString('ascii'), 'RIFF');
    const seconds = wav.readUInt32LE(40) / (wav.readUInt32LE(28));
    const recorded = (Date.parse(saved.recording_ended_at) - Date.parse(saved.recording_started_at)) / 1000;
    assert.ok(Math.abs(seconds - recorded) < 0.05, `the WAV lasts ${seconds} s, the recording ${recorded} s`);
    assert.ok(seconds >= 1.4, `the WAV lasts ${seconds} s`);

    const status = (await client.calls.retrieveStatus(call.call_control_id)).data;
    assert.equal(status.is_alive, false);
  });

  it('rings an inbound call that the app answers when it sees call.initiated', async () => {
    const response = await fetch(`${serve.baseURL.replace(/\/v2$/, '')}/_switchboard/inbound_calls`, {
      method: 'POST',
      headers: { authorization: `Bearer ${serve.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ from: '+13125550123', to: ourNumber }),
    });
    assert.equal(response.status, 200);
    const ringing = (await response.json()).data;

    const events = await eventsOf(ringing.call_session_id, ['call.initiated', 'call.answered']);
    assert.equal(receiver.answerError, undefined);
    assert.equal(events[0].data.payload.direction, 'incoming');
    assert.equal(events[0].data.payload.state, 'parked');
    assert.equal(events[1].data.payload.client_state, clientState);
    await client.calls.actions.hangup(ringing.call_control_id);
    const ended = await eventsOf(ringing.call_session_id, ['call.hangup']);
    assert.equal(ended.at(-1).data.payload.hangup_source, 'callee');
  });
});
