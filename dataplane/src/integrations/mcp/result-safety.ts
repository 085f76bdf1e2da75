/**
 * A tool result through the gateway's input safety before it reaches the caller, and with it
 * the model (indirect prompt injection): every text of the result (text items and embedded
 * text resources) is checked as the content of a `tool` message, as chat checks tool turns
 * (the sanitiser, the injection policy of the tenant with a tool result's indirect weight, the
 * input PII policy); `structuredContent` is checked string by string, as prompt variables
 * are. `flag` passes the result on as it came and reports findings; `sanitize` and PII
 * `redact` replace what they match; `block` refuses the result (a `SafetyRefusal`, with what
 * was found). Images, audio, blobs and resource links are passed on unread.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Safety, SafetyScope } from '../../engine/pipeline/prepare.ts';
import type { Findings } from '../../stages/context.ts';

type Item = CallToolResult['content'][number];

/** The text an item carries for safety, if any. */
function textOf(item: Item): string | undefined {
  if (item.type === 'text') return item.text;
  if (item.type === 'resource' && 'text' in item.resource) return item.resource.text;
  return undefined;
}

function withText(item: Item, text: string): Item {
  if (item.type === 'text') return { ...item, text };
  if (item.type === 'resource' && 'text' in item.resource)
    return { ...item, resource: { ...item.resource, text } };
  return item;
}

function sum(a: Findings, b: Findings): Findings {
  const total: Record<string, number> = { ...a };
  for (const [kind, count] of Object.entries(b)) total[kind] = (total[kind] ?? 0) + count;
  return total;
}

export function checkToolResult(
  safety: Safety,
  result: CallToolResult,
  scope: SafetyScope,
): { result: CallToolResult; findings: Findings } {
  const texts = result.content.map(textOf);
  const checked = safety.checkInput(
    texts.flatMap((content) => (content === undefined ? [] : [{ role: 'tool' as const, content }])),
    scope,
  );
  let next = 0;
  const content = result.content.map((item, index) => {
    if (texts[index] === undefined) return item;
    const text = checked.messages[next++]?.content ?? '';
    return text === texts[index] ? item : withText(item, text);
  });
  if (result.structuredContent === undefined) {
    return { result: { ...result, content }, findings: checked.findings };
  }
  const structured = safety.checkVariables(result.structuredContent, scope);
  return {
    result: { ...result, content, structuredContent: structured.variables },
    findings: sum(checked.findings, structured.findings),
  };
}
