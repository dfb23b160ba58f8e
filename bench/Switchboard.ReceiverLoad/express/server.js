// The seed's "complete webhook handler" (Express, an in-memory Set of processed ids, a switch on the event type, a
// console line per message), with the signature checked by the official SDK (telnyx@7.24.0) on the raw body instead
// of the seed's HMAC, which cannot verify an Ed25519 signature. No durable store: the baseline `listen` is compared
// with (listen-vs-express.sh). Usage: node server.js PORT PUBLIC_KEY_BASE64
const express = require('express');
const { TelnyxWebhook } = require('telnyx/lib/webhooks.js');

const [port, publicKey] = process.argv.slice(2);
const webhook = new TelnyxWebhook(publicKey);
const app = express();
const processedEvents = new Set();

app.post('/webhooks/telnyx', express.raw({ type: 'application/json' }), async (req, res) => {
  const body = req.body.toString('utf8');
  try {
    await webhook.verify(body, req.headers);
  } catch {
    return res.status(401).send('Invalid signature');
  }

  res.status(200).send('OK');

  try {
    const event = JSON.parse(body).data;
    if (processedEvents.has(event.id)) {
      return;
    }
    processedEvents.add(event.id);
    switch (event.event_type) {
      case 'message.received':
        console.log('Received message from:', event.payload.from.phone_number);
        console.log('Text:', event.payload.text);
        break;
      default:
        console.log('Event:', event.event_type, event.id);
    }
  } catch (error) {
    console.error('Error processing webhook:', error);
  }
});

app.listen(Number(port), '127.0.0.1', () => console.log(`Webhook server running on port ${port}`));
