// The list in docs/platform.md of Telnyx's operations, under the resources serve emulates, that serve does not
// emulate: written by extract-subset.js between two markers, checked by spec-not-emulated.test.js.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const platformDoc = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/platform.md');
export const startMarker = '<!-- not-emulated: written by tests/interop/spec/extract-subset.js from the spec; do not edit -->';
export const endMarker = '<!-- /not-emulated -->';

/** One line per resource: its operations that are not emulated (call commands by name). */
export function notEmulatedMarkdown(operations) {
  const byResource = new Map();
  for (const operation of operations) {
    const [method, template] = operation.split(' ');
    const resource = `/${template.split('/')[1]}`;
    const command = template.match(/^\/calls\/\{call_control_id\}\/actions\/(.+)$/);
    if (!byResource.has(resource)) byResource.set(resource, []);
    byResource.get(resource).push(command ? `\`${command[1]}\`` : `\`${method} ${template}\``);
  }
  const lines = [...byResource].sort(([a], [b]) => a.localeCompare(b)).map(([resource, items]) =>
    resource === '/calls' ? `- \`/calls\`: the call commands ${items.join(', ')} (these answer \`422\`, "not supported")` : `- \`${resource}\`: ${items.join(', ')}`);
  return [startMarker, ...lines, endMarker].join('\n');
}
