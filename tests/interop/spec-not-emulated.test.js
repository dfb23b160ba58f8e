// Every operation of Telnyx's under the resources serve emulates that serve does not emulate (the subset's
// x-telnyx-not-emulated, from the spec's path list) gets the emulator's "not emulated" 404, or for a call command the
// documented 422 "not supported"; never a misleading answer such as "phone number 'messaging' does not exist". The
// list in docs/platform.md is the same list.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import Telnyx from 'telnyx';
import { startPlatform } from './lib/serve.js';
import { loadSpec } from './lib/spec.js';
import { notEmulatedMarkdown, platformDoc } from './spec/not-emulated-doc.js';

const spec = loadSpec();
const ourNumber = '+18445550172';
let platform;
let serve;
let receiver;
const ids = {};

before(async () => {
  platform = await startPlatform();
  ({ serve, receiver } = platform);
  const client = new Telnyx({ apiKey: serve.apiKey, baseURL: serve.baseURL, maxRetries: 0 });
  ids.messaging_profiles = (await client.messagingProfiles.create({ name: 'paths', whitelisted_destinations: ['US'], webhook_url: receiver.url() })).data.id;
  const application = (await client.callControlApplications.create({ application_name: 'paths', webhook_event_url: receiver.url() })).data;
  ids.number_orders = (await client.numberOrders.create({ phone_numbers: [{ phone_number: ourNumber }], messaging_profile_id: ids.messaging_profiles, connection_id: application.id })).data.id;
  ids.phone_numbers = (await client.phoneNumbers.list({ filter: { phone_number: ourNumber } })).data[0].id;
  ids.messages = (await client.messages.send({ from: ourNumber, to: '+13125550199', text: 'paths' })).data.id;
  ids.calls = (await client.calls.dial({ connection_id: application.id, from: ourNumber, to: '+13125550110' })).data.call_control_id;
});

after(() => platform?.stop());

/** The path with its parameters filled: the resource's own id where it names one of ours, else an id nobody has. */
function fill(template) {
  const resource = template.split('/')[1];
  let first = true;
  return template.replace(/\{[^}]+\}/g, () => {
    const id = first && ids[resource] ? ids[resource] : '00000000-0000-4000-8000-000000000000';
    first = false;
    return encodeURIComponent(id);
  });
}

describe('Telnyx\'s paths that serve does not emulate', () => {
  it('each answers "not emulated" (404), or for a call command the documented 422, never a misleading answer', async () => {
    assert.ok(spec.notEmulated.length > 20, 'the subset lists Telnyx\'s other paths');
    const failures = [];
    for (const operation of spec.notEmulated) {
      const [method, template] = operation.split(' ');
      const hasBody = ['POST', 'PATCH', 'PUT'].includes(method);
      const response = await fetch(`${serve.baseURL}${fill(template)}`, {
        method,
        headers: { authorization: `Bearer ${serve.apiKey}`, ...(hasBody ? { 'content-type': 'application/json' } : {}) },
        body: hasBody ? '{}' : undefined,
      });
      const text = await response.text();
      const detail = (() => {
        try {
          return JSON.parse(text).errors?.[0]?.detail ?? '';
        } catch {
          return '';
        }
      })();
      const notEmulated = response.status === 404 && detail.includes('is not part of the Telnyx API that Switchboard emulates');
      const unsupportedCommand = template.startsWith('/calls/{call_control_id}/actions/') && response.status === 422 && detail.includes('does not support the call command');
      if (!notEmulated && !unsupportedCommand) {
        failures.push(`${operation}: ${response.status} ${text.slice(0, 200)}${response.ok ? ' (emulated now? add it to spec/operations.js and run npm run spec:subset)' : ''}`);
      }
    }
    assert.deepEqual(failures, [], `\n${failures.join('\n')}`);
  });

  it('docs/platform.md lists exactly these (npm run spec:subset writes the list)', () => {
    const doc = readFileSync(platformDoc, 'utf8');
    assert.ok(doc.includes(notEmulatedMarkdown(spec.notEmulated)), 'docs/platform.md\'s list of what is not emulated is stale: run npm run spec:subset in tests/interop');
  });
});
