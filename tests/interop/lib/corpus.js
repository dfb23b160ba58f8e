// Webhook bodies to sign and verify, as exact text. Several are written by hand rather than produced by
// JSON.stringify, because the point is that the bytes on the wire (escapes, whitespace, key order) are
// what gets signed.

const occurredAt = '2025-10-24T18:10:02.574Z';

function envelope(eventType, payload, { id = '0ccc7b54-4df3-4bcf-a65a-3d7dde5e7f6e', deliveredTo = 'https://example.com/webhooks/telnyx' } = {}) {
  return JSON.stringify({
    data: { event_type: eventType, id, occurred_at: occurredAt, record_type: 'event', payload },
    meta: { attempt: 1, delivered_to: deliveredTo },
  });
}

const messageSent = envelope('message.sent', {
  id: '40318d7f-1d36-4f4a-8f5f-0e6a2b8e4f11',
  record_type: 'message',
  direction: 'outbound',
  type: 'SMS',
  from: { phone_number: '+18445550001', carrier: 'Telnyx', line_type: 'Wireless' },
  to: [{ phone_number: '+18665550001', status: 'sent', carrier: 'T-MOBILE USA, INC.', line_type: 'Wireless' }],
  cc: [],
  text: 'Hello!',
  media: [],
  messaging_profile_id: '400174b4-1a17-4a4b-8c2f-4d1e35b2e5a1',
  organization_id: 'b0a1a3e4-4c1a-4ad8-a3b9-0b9c8f1e2d3c',
  parts: 1,
  encoding: 'GSM-7',
  num_chars: 6,
  cost: { amount: '0.0040', currency: 'USD' },
  errors: [],
  sent_at: '2025-10-24T18:10:02.324Z',
  completed_at: null,
  valid_until: null,
  tags: [],
});

const messageFailed = envelope('message.failed', {
  id: '40318d7f-1d36-4f4a-8f5f-0e6a2b8e4f11',
  record_type: 'message',
  direction: 'outbound',
  type: 'SMS',
  to: [{ phone_number: '+18665550001', status: 'delivery_failed' }],
  errors: [{ code: '40300', title: 'Invalid destination', detail: 'The destination number is not reachable' }],
  completed_at: '2025-10-24T18:10:05.123Z',
});

// Unicode written raw (accents, CJK, right-to-left, combining marks) and a '|' that looks like the separator.
const messageReceivedUnicode = envelope('message.received', {
  id: 'b2b0fd5e-8c0b-4a62-9b5c-1f2d1a6c7e33',
  record_type: 'message',
  direction: 'inbound',
  type: 'SMS',
  from: { phone_number: '+18665550001', carrier: 'T-MOBILE USA, INC.', line_type: 'Wireless' },
  to: [{ phone_number: '+18445550001', status: 'webhook_delivered' }],
  text: 'Grüße aus Köln — ¿qué tal? こんにちは 你好 مرحبا שלום e\u0301 1761329402|spoofed',
  encoding: 'UCS-2',
  received_at: '2025-10-24T18:15:00.000Z',
});

// Emoji: astral-plane characters, skin tones, ZWJ sequences, flags, variation selectors.
const messageReceivedEmoji = envelope('message.received', {
  id: 'c3a1e2d4-5b6f-4c7d-8e9f-0a1b2c3d4e5f',
  record_type: 'message',
  direction: 'inbound',
  type: 'MMS',
  text: '👋🏽 Hi! 👩‍👩‍👧‍👦 🇺🇸🇩🇪 ❤️ 🧑🏿‍🚀 😀😃😄',
  media: [{ url: 'https://media.example.com/🙂.jpg', content_type: 'image/jpeg', sha256: null, size: 20480 }],
});

// Escaped slashes and \u escapes, as some JSON writers emit them; JSON.stringify would write them differently.
const escapedSlashes =
  '{"data":{"event_type":"call.recording.saved","id":"5a7f0b7e-92b2-4a53-9cfe-5a8d3c2b1e00","occurred_at":"2025-10-24T18:20:00.000Z",' +
  '"record_type":"event","payload":{"call_leg_id":"428c31b6-7af4-4bcb-b68e-5013ef9657c1",' +
  '"call_session_id":"428c31b6-7af4-4bcb-b68e-5013ef9657c2","connection_id":"7267xxxxxxxxxxxxxx",' +
  '"client_state":"aGF2ZSBhIG5pY2UgZGF5ID1d","channels":"single",' +
  '"recording_urls":{"mp3":"https:\\/\\/s3.amazonaws.com\\/recordings\\/a.mp3?X-Amz-Signature=ab%2Fcd","wav":"https:\\/\\/s3.amazonaws.com\\/recordings\\/a.wav"},' +
  '"public_recording_urls":{"mp3":"https:\\/\\/example.com\\/r\\/a.mp3","wav":"https:\\/\\/example.com\\/r\\/a.wav"},' +
  '"recording_started_at":"2025-10-24T18:19:00.000Z","recording_ended_at":"2025-10-24T18:19:58.000Z",' +
  '"note":"caf\\u00e9 \\ud83d\\ude00 tab\\tquote\\" backslash\\\\ line\\u2028sep"}},' +
  '"meta":{"attempt":1,"delivered_to":"https:\\/\\/example.com\\/webhooks\\/telnyx"}}';

// Pretty-printed with CRLF, tabs, trailing spaces and a final newline: whitespace is part of the signed bytes.
const whitespace =
  '\r\n{\r\n\t"data" : {\r\n\t\t"event_type": "call.hangup",  \r\n\t\t"id": "9d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a09",\r\n' +
  '\t\t"occurred_at": "2025-10-24T18:30:00.000Z",\r\n\t\t"record_type": "event",\r\n\t\t"payload": {\r\n' +
  '\t\t\t"call_control_id": "v3:abc123",\r\n\t\t\t"call_leg_id": "428c31b6-7af4-4bcb-b68e-5013ef9657c1",\r\n' +
  '\t\t\t"call_session_id": "428c31b6-7af4-4bcb-b68e-5013ef9657c2",\r\n\t\t\t"connection_id": "1684641123236054244",\r\n' +
  '\t\t\t"from": "+18445550001", "to": "+18665550001",\r\n\t\t\t"hangup_cause": "normal_clearing",\r\n' +
  '\t\t\t"hangup_source": "caller",\r\n\t\t\t"sip_hangup_cause": "200",\r\n\t\t\t"start_time": "2025-10-24T18:29:30.000Z",\r\n' +
  '\t\t\t"state": "hangup"\r\n\t\t}\r\n\t},\r\n\t"meta": { "attempt": 1, "delivered_to": "https://example.com/hooks" }\r\n}   \n';

const callInitiated = envelope('call.initiated', {
  call_control_id: 'v3:8b4b3a1c-2d3e-4f50-a1b2-c3d4e5f60718',
  call_leg_id: '428c31b6-7af4-4bcb-b68e-5013ef9657c1',
  call_session_id: '428c31b6-7af4-4bcb-b68e-5013ef9657c2',
  connection_id: '1684641123236054244',
  client_state: null,
  from: '+18445550001',
  to: '+18665550001',
  direction: 'outgoing',
  state: 'parked',
  start_time: '2025-10-24T18:10:02.000Z',
  caller_id_name: 'Switchboard',
  custom_headers: [{ name: 'X-Ticket', value: '42' }],
  tags: ['vip'],
});

// About 100 kB: a long MMS thread of mixed-width characters and many media items.
function largeBody() {
  const media = [];
  for (let i = 0; i < 300; i++) {
    media.push({
      url: `https://media.example.com/mms/${String(i).padStart(4, '0')}/photo.jpg`,
      content_type: i % 3 === 0 ? 'image/png' : 'image/jpeg',
      sha256: (i * 2654435761 >>> 0).toString(16).padStart(8, '0').repeat(8),
      size: 1024 + i,
    });
  }
  const text = 'Line of a long message: ünïcödé 日本語 🚀 | '.repeat(1000);
  return envelope('message.received', { id: '0f0e0d0c-0b0a-4909-8807-060504030201', direction: 'inbound', type: 'MMS', text, media });
}

/** { name, body } pairs; body is the exact text whose UTF-8 bytes are signed. */
export const corpus = [
  { name: 'message.sent', body: messageSent },
  { name: 'message.failed', body: messageFailed },
  { name: 'message.received with unicode text', body: messageReceivedUnicode },
  { name: 'message.received with emoji', body: messageReceivedEmoji },
  { name: 'call.recording.saved with escaped slashes and \\u escapes', body: escapedSlashes },
  { name: 'call.hangup with CRLF, tabs and trailing whitespace', body: whitespace },
  { name: 'call.initiated', body: callInitiated },
  { name: 'empty object', body: '{}' },
  { name: 'large body (~100 kB)', body: largeBody() },
];
