// Checks what `switchboard serve` answers against Telnyx's OpenAPI spec (the committed subset, spec/telnyx-subset.yml):
// a `fetch` for the official SDK that passes every request through and records each response that the spec does not
// allow (a status it does not declare, a body that does not match the declared schema), and the webhook schemas.
// JSON Schema 2020-12 (OpenAPI 3.1) with Ajv.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import YAML from 'yaml';

const here = path.dirname(fileURLToPath(import.meta.url));
export const subsetPath = path.resolve(here, '../spec/telnyx-subset.yml');

/**
 * The spec gives `default: null` on some fields it types as non-nullable (`channel_limit`, `sip_subdomain`, ...):
 * Telnyx sends null there, so null is accepted exactly where the spec's own default is null.
 */
function allowDocumentedNullDefaults(node) {
  if (Array.isArray(node)) {
    node.forEach(allowDocumentedNullDefaults);
    return;
  }
  if (!node || typeof node !== 'object') return;
  if (node.default === null && typeof node.type === 'string' && node.type !== 'null') node.type = [node.type, 'null'];
  for (const child of Object.values(node)) allowDocumentedNullDefaults(child);
}

const pointer = (...parts) => parts.map((p) => String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

export function loadSpec() {
  const document = YAML.parse(readFileSync(subsetPath, 'utf8'), { maxAliasCount: -1 });
  allowDocumentedNullDefaults(document.components);
  allowDocumentedNullDefaults(document.paths);
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  // OpenAPI's numeric formats and the spec's free-form ones constrain nothing JSON Schema can check.
  for (const format of ['int32', 'int64', 'float', 'double', 'url', 'binary', 'byte', 'decimal', 'E.164', 'e164', 'phone', 'integer']) ajv.addFormat(format, true);
  const id = 'https://switchboard.local/telnyx-subset.json';
  ajv.addSchema({ $id: id, components: document.components, paths: document.paths });
  const compiled = new Map();
  const validatorAt = (ref) => {
    if (!compiled.has(ref)) compiled.set(ref, ajv.compile({ $ref: `${id}#/${ref}` }));
    return compiled.get(ref);
  };

  const templates = Object.keys(document.paths).map((template) => ({ template, segments: template.split('/').slice(1) }));

  /** The spec's path template for a request path (relative to /v2), preferring literal segments as a router does. */
  function matchTemplate(requestPath) {
    const segments = requestPath.split('/').slice(1).map(decodeURIComponent);
    const candidates = templates.filter((t) => t.segments.length === segments.length && t.segments.every((s, i) => s.startsWith('{') || s === segments[i]));
    candidates.sort((a, b) => a.segments.filter((s) => s.startsWith('{')).length - b.segments.filter((s) => s.startsWith('{')).length);
    return candidates[0]?.template;
  }

  /**
   * What the spec says about one response: [] if it allows it, else one line per violation, each starting with
   * `METHOD template status` and then the JSON pointer of the field (known-violations.js matches these prefixes).
   */
  function checkResponse(method, template, status, contentType, bodyText) {
    const at = `${method} ${template} ${status}`;
    const operation = document.paths[template]?.[method.toLowerCase()];
    if (!operation) return [`${method} ${template} is not in the spec subset`];
    const declared = Object.keys(operation.responses);
    const key = declared.find((k) => k === String(status)) ?? declared.find((k) => k.toUpperCase() === `${String(status)[0]}XX`) ?? (declared.includes('default') ? 'default' : undefined);
    if (!key) return [`${at}: the spec declares only ${declared.join(', ')}`];
    let response = operation.responses[key];
    let responsePointer = pointer('paths', template, method.toLowerCase(), 'responses', key);
    if (response.$ref) {
      responsePointer = response.$ref.slice(2);
      response = responsePointer.split('/').reduce((node, part) => node[part.replaceAll('~1', '/')], document);
    }
    const json = response.content?.['application/json'];
    if (!json?.schema) return [];
    if (!/^application\/json/.test(contentType ?? '')) return [`${at}: content type ${contentType}, the spec declares application/json`];
    let body;
    try {
      body = JSON.parse(bodyText);
    } catch {
      return [`${at}: the body is not JSON: ${bodyText.slice(0, 200)}`];
    }
    const validate = validatorAt(`${responsePointer}/${pointer('content', 'application/json', 'schema')}`);
    return validate(body) ? [] : describe(at, validate.errors);
  }

  /** [] if a webhook body matches the spec's schema `schemaName` (components/schemas), else one line per violation. */
  function checkWebhook(schemaName, body) {
    const validate = validatorAt(pointer('components', 'schemas', schemaName));
    return validate(body) ? [] : describe(schemaName, validate.errors);
  }

  return { document, matchTemplate, checkResponse, checkWebhook, notEmulated: document['x-telnyx-not-emulated'] };
}

function describe(at, errors) {
  const lines = errors.map((e) => `${at} ${e.instancePath || '/'}: ${e.message}${e.params?.allowedValues ? ` (${e.params.allowedValues.join(', ')})` : ''}`);
  return [...new Set(lines)];
}

/**
 * A `fetch` for the SDK that records each exchange with serve as `{ method, path, template, status, violations }` in
 * `exchanges` (violations empty when the spec allows the response).
 */
export function validatingFetch(spec, baseURL, exchanges) {
  const base = new URL(baseURL);
  return async (input, init) => {
    const response = await fetch(input, init);
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const method = (init?.method ?? 'GET').toUpperCase();
    const relative = url.pathname.startsWith(base.pathname) ? url.pathname.slice(base.pathname.replace(/\/$/, '').length) : url.pathname;
    const template = spec.matchTemplate(relative);
    const text = await response.clone().text();
    const violations = template ? spec.checkResponse(method, template, response.status, response.headers.get('content-type'), text) : [`${method} ${relative} matches no path of the spec subset`];
    exchanges.push({ method, path: relative, template, status: response.status, violations });
    return response;
  };
}

/**
 * The violation lines not covered by a prefix of `known` (another lane's, spec/known-violations.js); reports the
 * known ones, and known prefixes that no longer match anything, as diagnostics of the test `t`.
 */
export function unexpectedViolations(t, lines, known) {
  const violations = [...new Set(lines)];
  const isKnown = (line) => known.some((prefix) => line.startsWith(prefix));
  for (const line of violations.filter(isKnown)) t.diagnostic(`known, another lane's (spec/known-violations.js): ${line}`);
  for (const prefix of known.filter((p) => !violations.some((line) => line.startsWith(p)))) t.diagnostic(`no longer found, delete it from spec/known-violations.js: ${prefix}`);
  return violations.filter((line) => !isKnown(line));
}
