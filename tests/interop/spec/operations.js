// What `switchboard serve` emulates of Telnyx's API, one line per operation: the spec's method and path template, and
// how the official SDK drives it (`ctx` carries what earlier lines created). The lines run in this order. The spec
// subset (telnyx-subset.yml) is extracted from these keys by extract-subset.js, and spec-conformance.test.js fails
// on every response that the spec does not allow. Adding an operation: one line here, then `npm run spec:subset`.
// An `expect` status drives the operation into an error (the SDK rejects; the status is checked, and the spec must
// declare it). `ctx.stranger` is the SDK with a wrong API key; `ctx.answered(call)` resolves with the call once its
// call.answered webhook arrived.

export const operations = [
  ['POST /messaging_profiles', async (sdk, ctx) => (ctx.profile = (await sdk.messagingProfiles.create({ name: 'conformance', whitelisted_destinations: ['US'], webhook_url: ctx.webhookUrl })).data)],
  ['GET /messaging_profiles', (sdk) => sdk.messagingProfiles.list({ page: { size: 5 } })],
  ['GET /messaging_profiles/{id}', (sdk, ctx) => sdk.messagingProfiles.retrieve(ctx.profile.id)],
  ['PATCH /messaging_profiles/{id}', (sdk, ctx) => sdk.messagingProfiles.update(ctx.profile.id, { name: 'conformance renamed' })],
  ['POST /call_control_applications', async (sdk, ctx) => (ctx.application = (await sdk.callControlApplications.create({ application_name: 'conformance', webhook_event_url: ctx.webhookUrl })).data)],
  ['GET /call_control_applications', (sdk) => sdk.callControlApplications.list()],
  ['GET /call_control_applications/{id}', (sdk, ctx) => sdk.callControlApplications.retrieve(ctx.application.id)],
  ['PATCH /call_control_applications/{id}', (sdk, ctx) => sdk.callControlApplications.update(ctx.application.id, { application_name: 'conformance renamed', webhook_event_url: ctx.webhookUrl })],
  ['POST /number_orders', async (sdk, ctx) => (ctx.order = (await sdk.numberOrders.create({ phone_numbers: [{ phone_number: ctx.ourNumber }], messaging_profile_id: ctx.profile.id, connection_id: ctx.application.id })).data)],
  ['GET /number_orders/{number_order_id}', (sdk, ctx) => sdk.numberOrders.retrieve(ctx.order.id)],
  ['GET /available_phone_numbers', (sdk) => sdk.availablePhoneNumbers.list({ filter: { country_code: 'US', national_destination_code: '312', limit: 3 } })],
  ['GET /number_orders', (sdk) => sdk.numberOrders.list({ page: { size: 5 } })],
  ['GET /phone_numbers', async (sdk, ctx) => (ctx.number = (await sdk.phoneNumbers.list({ filter: { phone_number: ctx.ourNumber } })).data[0])],
  ['GET /phone_numbers/{id}', (sdk, ctx) => sdk.phoneNumbers.retrieve(ctx.number.id)],
  ['PATCH /phone_numbers/{id}', (sdk, ctx) => sdk.phoneNumbers.update(ctx.number.id, { tags: ['conformance'] })],
  ['GET /phone_numbers/{id}/messaging', (sdk, ctx) => sdk.phoneNumbers.messaging.retrieve(ctx.number.id)],
  ['PATCH /phone_numbers/{id}/messaging', (sdk, ctx) => sdk.phoneNumbers.messaging.update(ctx.number.id, { messaging_profile_id: ctx.profile.id })],
  ['GET /phone_numbers/messaging', (sdk) => sdk.phoneNumbers.messaging.list()],
  ['GET /phone_numbers/{id}/voice', (sdk, ctx) => sdk.phoneNumbers.voice.retrieve(ctx.number.id)],
  ['PATCH /phone_numbers/{id}/voice', (sdk, ctx) => sdk.phoneNumbers.voice.update(ctx.number.id, { tech_prefix_enabled: true })],
  ['GET /messaging_profiles/{id}/phone_numbers', (sdk, ctx) => sdk.messagingProfiles.listPhoneNumbers(ctx.profile.id)],
  ['POST /messages', async (sdk, ctx) => (ctx.message = (await sdk.messages.send({ from: ctx.ourNumber, to: '+13125550199', text: 'conformance' })).data)],
  ['POST /messages/long_code', (sdk, ctx) => sdk.messages.sendLongCode({ from: ctx.ourNumber, to: '+13125550198', text: 'conformance long code' })],
  ['GET /messages/{id}', (sdk, ctx) => sdk.messages.retrieve(ctx.message.id)],
  ['POST /calls', async (sdk, ctx) => (ctx.call = await ctx.answered((await sdk.calls.dial({ connection_id: ctx.application.id, from: ctx.ourNumber, to: '+13125550110' })).data))],
  ['GET /calls/{call_control_id}', (sdk, ctx) => sdk.calls.retrieveStatus(ctx.call.call_control_id)],
  ['POST /calls/{call_control_id}/actions/speak', (sdk, ctx) => sdk.calls.actions.speak(ctx.call.call_control_id, { payload: 'Hello', voice: 'female' })],
  ['POST /calls/{call_control_id}/actions/playback_start', (sdk, ctx) => sdk.calls.actions.startPlayback(ctx.call.call_control_id, { audio_url: 'https://example.com/a.mp3' })],
  ['POST /calls/{call_control_id}/actions/playback_stop', (sdk, ctx) => sdk.calls.actions.stopPlayback(ctx.call.call_control_id)],
  ['POST /calls/{call_control_id}/actions/gather', (sdk, ctx) => sdk.calls.actions.gather(ctx.call.call_control_id, { minimum_digits: 1, maximum_digits: 4, terminating_digit: '#' })],
  ['POST /calls/{call_control_id}/actions/gather_using_speak', (sdk, ctx) => sdk.calls.actions.gatherUsingSpeak(ctx.call.call_control_id, { payload: 'Press 1 or 2', voice: 'female', language: 'en-US', valid_digits: '12', maximum_digits: 1 })],
  ['POST /calls/{call_control_id}/actions/gather_using_audio', (sdk, ctx) => sdk.calls.actions.gatherUsingAudio(ctx.call.call_control_id, { audio_url: 'https://example.com/menu.mp3', valid_digits: '123', maximum_tries: 2 })],
  ['POST /calls/{call_control_id}/actions/gather_stop', (sdk, ctx) => sdk.calls.actions.stopGather(ctx.call.call_control_id, {})],
  ['POST /calls/{call_control_id}/actions/send_dtmf', (sdk, ctx) => sdk.calls.actions.sendDtmf(ctx.call.call_control_id, { digits: '1w2#', duration_millis: 250 })],
  ['PUT /calls/{call_control_id}/actions/client_state_update', (sdk, ctx) => sdk.calls.actions.updateClientState(ctx.call.call_control_id, { client_state: Buffer.from('menu').toString('base64') })],
  ['POST /calls/{call_control_id}/actions/gather', (sdk, ctx) => sdk.calls.actions.gather(ctx.call.call_control_id, { minimum_digits: 5, maximum_digits: 2 }), { expect: 422 }],
  ['POST /calls/{call_control_id}/actions/transfer', (sdk, ctx) => sdk.calls.actions.transfer(ctx.call.call_control_id, { to: '3125550199' }), { expect: 422 }],
  ['POST /calls/{call_control_id}/actions/bridge', (sdk, ctx) => sdk.calls.actions.bridge(ctx.call.call_control_id, { call_control_id_to_bridge_with: ctx.call.call_control_id }), { expect: 422 }],
  ['POST /calls', async (sdk, ctx) => (ctx.machine = await ctx.answered((await sdk.calls.dial({ connection_id: ctx.application.id, from: ctx.ourNumber, to: '+13125550115', answering_machine_detection: 'detect' })).data))],
  ['POST /calls/{call_control_id}/actions/transfer', (sdk, ctx) => sdk.calls.actions.transfer(ctx.machine.call_control_id, { to: '+13125550199' })],
  ['POST /calls', async (sdk, ctx) => (ctx.partner = await ctx.answered((await sdk.calls.dial({ connection_id: ctx.application.id, from: ctx.ourNumber, to: '+13125550110' })).data))],
  ['POST /calls/{call_control_id}/actions/bridge', (sdk, ctx) => sdk.calls.actions.bridge(ctx.call.call_control_id, { call_control_id_to_bridge_with: ctx.partner.call_control_id })],
  ['POST /calls/{call_control_id}/actions/record_start', (sdk, ctx) => sdk.calls.actions.startRecording(ctx.call.call_control_id, { format: 'mp3', channels: 'single' })],
  ['POST /calls/{call_control_id}/actions/record_pause', (sdk, ctx) => sdk.calls.actions.pauseRecording(ctx.call.call_control_id)],
  ['POST /calls/{call_control_id}/actions/record_resume', (sdk, ctx) => sdk.calls.actions.resumeRecording(ctx.call.call_control_id)],
  ['POST /calls/{call_control_id}/actions/record_stop', (sdk, ctx) => sdk.calls.actions.stopRecording(ctx.call.call_control_id)],
  ['POST /calls/{call_control_id}/actions/hangup', (sdk, ctx) => sdk.calls.actions.hangup(ctx.call.call_control_id)],
  ['POST /calls/{call_control_id}/actions/answer', (sdk, ctx) => sdk.calls.actions.answer(ctx.call.call_control_id), { expect: 422 }],
  ['POST /calls/{call_control_id}/actions/reject', (sdk, ctx) => sdk.calls.actions.reject(ctx.call.call_control_id, { cause: 'USER_BUSY' }), { expect: 422 }],
  ['POST /calls/{call_control_id}/actions/gather', (sdk, ctx) => sdk.calls.actions.gather(ctx.call.call_control_id, {}), { expect: 422 }],
  ['GET /recordings', async (sdk, ctx) => {
    // The recording is saved by a lifecycle step after the hangup: list until it is there.
    for (let tries = 0; tries < 100 && !ctx.recording; tries++) {
      ctx.recording = (await sdk.recordings.list({ filter: { call_control_id: ctx.call.call_control_id } })).data[0];
      if (!ctx.recording) await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }],
  ['GET /recordings/{recording_id}', (sdk, ctx) => sdk.recordings.retrieve(ctx.recording.id)],
  ['DELETE /recordings/{recording_id}', (sdk, ctx) => sdk.recordings.delete(ctx.recording.id)],
  ['GET /recordings/{recording_id}', (sdk, ctx) => sdk.recordings.retrieve(ctx.recording.id), { expect: 404 }],
  ['POST /recordings/actions/delete', (sdk) => sdk.recordings.actions.delete({ ids: ['00000000-0000-4000-8000-000000000000'] }), { expect: 404 }],
  ['GET /available_phone_numbers', (sdk) => sdk.availablePhoneNumbers.list({ filter: { phone_number_type: 'landline' } }), { expect: 422 }],
  ['GET /webhook_deliveries', async (sdk, ctx) => (ctx.delivery = (await sdk.webhookDeliveries.list()).data[0])],
  ['GET /webhook_deliveries/{id}', (sdk, ctx) => sdk.webhookDeliveries.retrieve(ctx.delivery.id)],
  ['GET /webhook_deliveries', (sdk) => sdk.webhookDeliveries.list({ page: { size: 251 } }), { expect: 422 }],
  ['GET /messaging_profiles', (sdk) => sdk.messagingProfiles.list({ page: { size: 251 } }), { expect: 400 }],
  ['GET /phone_numbers', (sdk) => sdk.phoneNumbers.list({ page: { size: 251 } }), { expect: 400 }],
  ['GET /call_control_applications', (sdk) => sdk.callControlApplications.list({ page: { size: 251 } }), { expect: 400 }],
  ['GET /messages/{id}', (sdk) => sdk.messages.retrieve('00000000-0000-4000-8000-000000000000'), { expect: 404 }],
  ['GET /webhook_deliveries/{id}', (sdk) => sdk.webhookDeliveries.retrieve('00000000-0000-4000-8000-000000000000'), { expect: 404 }],
  ['GET /call_control_applications/{id}', (sdk) => sdk.callControlApplications.retrieve('1'), { expect: 404 }],
  ['GET /webhook_deliveries', (sdk, ctx) => ctx.stranger.webhookDeliveries.list(), { expect: 401 }],
  ['GET /phone_numbers', (sdk, ctx) => ctx.stranger.phoneNumbers.list(), { expect: 401 }],
  ['GET /call_control_applications', (sdk, ctx) => ctx.stranger.callControlApplications.list(), { expect: 401 }],
  ['POST /messages', (sdk, ctx) => sdk.messages.send({ from: ctx.ourNumber, to: '3125550100', text: 'no plus' }), { expect: 422 }],
  ['POST /calls', (sdk, ctx) => sdk.calls.dial({ connection_id: ctx.application.id, from: ctx.ourNumber, to: 'nobody' }), { expect: 422 }],
  ['DELETE /phone_numbers/{id}', (sdk, ctx) => sdk.phoneNumbers.delete(ctx.number.id)],
  ['DELETE /call_control_applications/{id}', (sdk, ctx) => sdk.callControlApplications.delete(ctx.application.id)],
  ['DELETE /messaging_profiles/{id}', (sdk, ctx) => sdk.messagingProfiles.delete(ctx.profile.id)],
];

/** The spec's schema for each webhook event type serve sends (components/schemas); the subset keeps these too. */
export const webhookSchemas = {
  'message.sent': 'OutboundMessageEvent',
  'message.finalized': 'OutboundMessageEvent',
  'message.received': 'InboundMessageEvent',
  'call.initiated': 'CallInitiatedEvent',
  'call.answered': 'CallAnsweredEvent',
  'call.hangup': 'CallHangupEvent',
  'call.recording.saved': 'CallRecordingSavedEvent',
  'call.speak.started': 'CallSpeakStartedEvent',
  'call.speak.ended': 'CallSpeakEndedEvent',
  'call.playback.started': 'CallPlaybackStartedEvent',
  'call.playback.ended': 'CallPlaybackEndedEvent',
  'call.dtmf.received': 'CallDtmfReceivedEvent',
  'call.gather.ended': 'CallGatherEndedEvent',
  'call.bridged': 'CallBridgedEvent',
  'call.machine.detection.ended': 'CallMachineDetectionEndedEvent',
  'call.machine.greeting.ended': 'CallMachineGreetingEndedEvent',
};

/**
 * The seed's two extra events, which Telnyx does not send: they carry exactly the outbound-message payload, so they
 * are checked against the outbound message event schema (whose event_type enum cannot name them).
 */
export const seedOnlyEvents = { 'message.delivered': 'OutboundMessageEvent', 'message.failed': 'OutboundMessageEvent' };

/** The resources serve emulates: Telnyx's other paths under these are listed as not emulated (see the subset). */
export const emulatedResources = ['/messaging_profiles', '/phone_numbers', '/number_orders', '/messages', '/call_control_applications', '/calls', '/webhook_deliveries', '/available_phone_numbers', '/recordings'];
