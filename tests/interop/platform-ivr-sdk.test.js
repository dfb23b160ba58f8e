// An IVR written with the official telnyx SDK against `switchboard serve`: the app answers an inbound call, speaks a
// menu with gather_using_speak, and transfers the caller on "1"; the caller's key presses and hang-up come from the
// emulator's far-end routes. Then gather timeout, gather_stop, an invalid key, bridge, send_dtmf and answering machine
// detection, and Telnyx's errors for bad input. Every webhook is verified with the SDK's TelnyxWebhook.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Telnyx from 'telnyx';
import { TelnyxWebhook } from 'telnyx/lib/webhooks.js';
import { startPlatform } from './lib/serve.js';

const ourNumber = '+18445550888';
const ivrCaller = '+13125550100'; // calls from this number get the menu; the others only get answered
const salesDesk = '+13125550199';
let platform;
let serve;
let client;
let application;
let receiver;
const appErrors = [];

/** The IVR: what a Call Control app does on each webhook. */
async function ivr(event) {
  const { event_type: type, payload } = event;
  const act = client.calls.actions;
  if (type === 'call.initiated' && payload.direction === 'incoming') {
    await act.answer(payload.call_control_id, {});
  } else if (type === 'call.answered' && payload.from === ivrCaller) {
    await act.gatherUsingSpeak(payload.call_control_id, {
      payload: 'Press 1 for sales, 2 to hear our hours.', voice: 'female', language: 'en-US', valid_digits: '12', maximum_digits: 1,
    });
  } else if (type === 'call.gather.ended' && payload.from === ivrCaller && payload.status === 'valid') {
    if (payload.digits === '1') {
      await act.transfer(payload.call_control_id, { to: salesDesk });
    } else {
      await act.speak(payload.call_control_id, { payload: 'We are open nine to five.', voice: 'female' });
    }
  }
}

before(async () => {
  platform = await startPlatform({
    respond: (request) => {
      ivr(JSON.parse(request.body).data).catch((error) => appErrors.push(error));
      return 200;
    },
  });
  ({ serve, receiver } = platform);
  process.env.TELNYX_BASE_URL = serve.baseURL;
  client = new Telnyx({ apiKey: serve.apiKey, maxRetries: 0 });
  application = (await client.callControlApplications.create({ application_name: 'interop ivr', webhook_event_url: receiver.url('/ivr') })).data;
  await client.numberOrders.create({ phone_numbers: [{ phone_number: ourNumber }], connection_id: application.id });
});

after(() => platform?.stop());

/** The emulator's own routes (not part of Telnyx's API, so not in the SDK). */
async function emulator(path, body) {
  const response = await fetch(`${serve.baseURL.replace(/\/v2$/, '')}/_switchboard${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${serve.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

const ring = async (from) => (await emulator('/inbound_calls', { from, to: ourNumber })).body.data;
const press = (id, digits) => emulator(`/calls/${encodeURIComponent(id)}/dtmf`, { digits });
const farEndHangup = (id) => emulator(`/calls/${encodeURIComponent(id)}/hangup`, {});

/** The verified webhooks of one call session once `done(events)` holds. */
async function sessionEvents(session, done, what) {
  const ours = (request) => JSON.parse(request.body).data.payload.call_session_id === session;
  const mine = (requests) => requests.filter(ours).map((r) => JSON.parse(r.body).data);
  await receiver.until((requests) => done(mine(requests)), 30_000, `${what} of ${session}`);
  const verifier = new TelnyxWebhook(serve.publicKey);
  for (const request of receiver.requests.filter(ours)) {
    await verifier.verify(request.body, request.headers);
  }
  return mine(receiver.requests);
}

const has = (type, count = 1) => (events) => events.filter((e) => e.event_type === type).length >= count;
const types = (events, id) => events.filter((e) => e.payload.call_control_id === id).map((e) => e.event_type);

async function answeredCall(from) {
  const call = await ring(from);
  await sessionEvents(call.call_session_id, has('call.answered'), 'call.answered');
  return call;
}

describe('An IVR through the official SDK', () => {
  it('answers, gathers the spoken menu, transfers on 1 with call.bridged on both legs, and the caller hanging up ends both', async () => {
    const call = await answeredCall(ivrCaller);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the app's gather_using_speak is on its way
    assert.equal((await press(call.call_control_id, '1')).status, 200);

    let events = await sessionEvents(call.call_session_id, has('call.bridged', 2), 'call.bridged on both legs');
    const gathered = events.find((e) => e.event_type === 'call.gather.ended');
    assert.deepEqual([gathered.payload.digits, gathered.payload.status], ['1', 'valid']);
    assert.equal(events.find((e) => e.event_type === 'call.dtmf.received').payload.digit, '1');
    assert.ok(!events.some((e) => e.event_type.startsWith('call.speak.')), 'a gather_using_speak prompt sends no speak events');
    const leg = events.find((e) => e.event_type === 'call.initiated' && e.payload.call_control_id !== call.call_control_id).payload;
    assert.deepEqual([leg.direction, leg.to, leg.from], ['outgoing', salesDesk, ourNumber]);
    assert.deepEqual(types(events, leg.call_control_id), ['call.initiated', 'call.answered', 'call.bridged']);

    assert.equal((await farEndHangup(call.call_control_id)).status, 200);
    events = await sessionEvents(call.call_session_id, has('call.hangup', 2), 'both legs hung up');
    assert.deepEqual(types(events, call.call_control_id).slice(-1), ['call.hangup']);
    assert.deepEqual(types(events, leg.call_control_id).slice(-1), ['call.hangup']);
    assert.equal(events.find((e) => e.event_type === 'call.hangup' && e.payload.call_control_id === call.call_control_id).payload.hangup_source, 'caller');
    assert.equal((await client.calls.retrieveStatus(leg.call_control_id)).data.is_alive, false);
    assert.deepEqual(appErrors, []);

    // Every action on an ended call: 422 with Telnyx's code 90018.
    await assert.rejects(client.calls.actions.gather(call.call_control_id, {}), (error) => error.status === 422 && error.error.errors[0].code === '90018');
  });

  it('ends a gather on timeout, on gather_stop, and on a key outside valid_digits', async () => {
    const call = await answeredCall('+13125550101');
    const id = call.call_control_id;
    const gatherEnds = (count) => sessionEvents(call.call_session_id, has('call.gather.ended', count), `${count} gather ends`);

    await client.calls.actions.gather(id, { initial_timeout_millis: 300 });
    let ended = (await gatherEnds(1)).filter((e) => e.event_type === 'call.gather.ended');
    assert.deepEqual([ended[0].payload.digits, ended[0].payload.status], ['', 'timeout']);

    await client.calls.actions.gather(id, { maximum_digits: 4 });
    await press(id, '2');
    await client.calls.actions.stopGather(id, {});
    ended = (await gatherEnds(2)).filter((e) => e.event_type === 'call.gather.ended');
    assert.deepEqual([ended[1].payload.digits, ended[1].payload.status], ['2', 'cancelled']);

    await client.calls.actions.gatherUsingAudio(id, { audio_url: 'https://example.com/menu.mp3', valid_digits: '123', maximum_tries: 1 });
    await press(id, '9');
    const events = await gatherEnds(3);
    ended = events.filter((e) => e.event_type === 'call.gather.ended');
    assert.deepEqual([ended[2].payload.digits, ended[2].payload.status], ['9', 'invalid']);
    assert.equal(events.filter((e) => e.event_type === 'call.playback.started').length, 1);
    await client.calls.actions.hangup(id, {});
  });

  it('bridges two calls, and send_dtmf on one reaches the other as key presses', async () => {
    const first = await answeredCall('+13125550102');
    const second = await answeredCall('+13125550103');

    await client.calls.actions.bridge(first.call_control_id, { call_control_id_to_bridge_with: second.call_control_id });
    await sessionEvents(first.call_session_id, has('call.bridged'), 'call.bridged');
    await sessionEvents(second.call_session_id, has('call.bridged'), 'call.bridged');
    await client.calls.actions.sendDtmf(first.call_control_id, { digits: '1w2#', duration_millis: 250 });

    const heard = (await sessionEvents(second.call_session_id, has('call.dtmf.received', 3), 'three keys')).filter((e) => e.event_type === 'call.dtmf.received');
    assert.deepEqual(heard.map((e) => e.payload.digit), ['1', '2', '#']);
    await farEndHangup(second.call_control_id);
    await sessionEvents(first.call_session_id, has('call.hangup'), 'the bridged call hung up');
  });

  it('detects an answering machine at 5550115 and a human elsewhere', async () => {
    const machine = (await client.calls.dial({ connection_id: application.id, from: ourNumber, to: '+13125550115', answering_machine_detection: 'greeting_end' })).data;
    const human = (await client.calls.dial({ connection_id: application.id, from: ourNumber, to: '+13125550199', answering_machine_detection: 'detect' })).data;

    const machineEvents = await sessionEvents(machine.call_session_id, has('call.machine.greeting.ended'), 'the greeting end');
    const humanEvents = await sessionEvents(human.call_session_id, has('call.machine.detection.ended'), 'the detection');
    assert.equal(machineEvents.find((e) => e.event_type === 'call.machine.detection.ended').payload.result, 'machine');
    assert.equal(machineEvents.find((e) => e.event_type === 'call.machine.greeting.ended').payload.result, 'ended');
    assert.equal(humanEvents.find((e) => e.event_type === 'call.machine.detection.ended').payload.result, 'human');
    await client.calls.actions.hangup(machine.call_control_id, {});
    await client.calls.actions.hangup(human.call_control_id, {});
  });

  it('refuses bad input with Telnyx errors', async () => {
    const call = await answeredCall('+13125550104');
    const id = call.call_control_id;
    const pointerOf = (error) => error.error.errors[0].source.pointer;

    await assert.rejects(client.calls.actions.gather(id, { minimum_digits: 5, maximum_digits: 2 }),
      (error) => error instanceof Telnyx.UnprocessableEntityError && pointerOf(error) === '/minimum_digits');
    await assert.rejects(client.calls.actions.transfer(id, { to: '3125550199' }),
      (error) => error instanceof Telnyx.UnprocessableEntityError && pointerOf(error) === '/to');
    await assert.rejects(client.calls.actions.bridge(id, { call_control_id_to_bridge_with: id }),
      (error) => error instanceof Telnyx.UnprocessableEntityError && pointerOf(error) === '/call_control_id');
    const bad = await press(id, '12x');
    assert.equal(bad.status, 422);
    assert.equal(bad.body.errors[0].source.pointer, '/digits');

    await client.calls.actions.hangup(id, {});
    await assert.rejects(client.calls.actions.bridge((await answeredCall('+13125550105')).call_control_id, { call_control_id_to_bridge_with: id }),
      (error) => error.status === 422 && error.error.errors[0].code === '90018');
    const status = (await client.calls.retrieveStatus(id)).data;
    assert.equal(status.is_alive, false);
    assert.ok(status.end_time);
  });
});
