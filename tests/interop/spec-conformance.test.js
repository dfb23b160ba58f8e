// The official SDK drives every operation serve emulates (spec/operations.js, in order) through a fetch that checks
// each response against Telnyx's OpenAPI spec (spec/telnyx-subset.yml): a status the operation does not declare, a
// field missing or of the wrong type, fails the test, naming the operation and the field.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Telnyx from 'telnyx';
import { startPlatform } from './lib/serve.js';
import { loadSpec, unexpectedViolations, validatingFetch } from './lib/spec.js';
import { knownViolations } from './spec/known-violations.js';
import { operations } from './spec/operations.js';

const spec = loadSpec();
let platform;
let serve;
let receiver;

before(async () => {
  platform = await startPlatform();
  ({ serve, receiver } = platform);
});

after(() => platform?.stop());

describe('serve answers in the shapes and statuses of Telnyx\'s OpenAPI spec', () => {
  it('every line of spec/operations.js is an operation of the committed subset', () => {
    for (const [key] of operations) {
      const [method, template] = key.split(' ');
      assert.ok(spec.document.paths[template]?.[method.toLowerCase()], `${key} is missing from spec/telnyx-subset.yml: run npm run spec:subset`);
    }
  });

  it('the SDK drives each emulated operation, and every response is allowed by the spec', async (t) => {
    const exchanges = [];
    const fetch = validatingFetch(spec, serve.baseURL, exchanges);
    const sdk = new Telnyx({ apiKey: serve.apiKey, baseURL: serve.baseURL, maxRetries: 0, fetch });
    const stranger = new Telnyx({ apiKey: 'KEY0000000000000000000000', baseURL: serve.baseURL, maxRetries: 0, fetch });
    const answered = async (call) => {
      const isAnswered = (request) => {
        const event = JSON.parse(request.body).data;
        return event.event_type === 'call.answered' && event.payload.call_control_id === call.call_control_id;
      };
      await receiver.until((requests) => requests.some(isAnswered), 30_000, `call.answered of ${call.call_control_id}`);
      return call;
    };
    const ctx = { webhookUrl: receiver.url('/webhooks'), ourNumber: '+18445550170', stranger, answered };
    const failures = [];
    for (const [key, drive, { expect } = {}] of operations) {
      const before = exchanges.length;
      let status;
      try {
        await drive(sdk, ctx);
        status = exchanges.at(-1)?.status;
      } catch (error) {
        status = error.status;
        if (expect === undefined) failures.push(`${key}: ${error.message}`);
      }
      if (expect !== undefined && status !== expect) failures.push(`${key}: expected ${expect}, got ${status}`);
      const mine = exchanges.slice(before);
      if (!mine.some((e) => `${e.method} ${e.template}` === key)) failures.push(`${key}: the SDK call did not reach this operation (${mine.map((e) => `${e.method} ${e.path}`).join(', ')})`);
    }
    failures.push(...unexpectedViolations(t, exchanges.flatMap((e) => e.violations), knownViolations));
    assert.deepEqual(failures, [], `\n${failures.join('\n')}`);
  });
});
