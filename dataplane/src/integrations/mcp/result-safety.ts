/**
 * What upstreams return (tool results, resource contents, prompt messages) through the
 * gateway's input safety before it reaches the caller, and with it the model (indirect prompt
 * injection): every text (text items and embedded text resources) is checked as the content of a `tool` message, as chat checks tool turns
 * (the sanitiser, the injection policy of the tenant with a tool result's indirect weight, the
 * input PII policy); `structuredContent` is checked string by string, as prompt variables
 * are. `flag` passes the result on as it came and reports findings; `sanitize` and PII
 * `redact` replace what they match; `block` refuses the result (a `SafetyRefusal`, with what
 * was found). Images, audio, blobs and resource links are passed on unread.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Safety, SafetyScope } from '../../engine/pipeline/prepare.ts';
import type { Findings } from '../../stages/context.ts';

export type Item = CallToolResult['content'][number];

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

/** Texts an upstream returned, each checked as a `tool` message's content, in order. */
export function checkTexts(
  safety: Safety,
  texts: readonly string[],
  scope: SafetyScope,
): { texts: string[]; findings: Findings } {
  if (texts.length === 0) return { texts: [], findings: {} };
  const checked = safety.checkInput(
    texts.map((content) => ({ role: 'tool' as const, content })),
    scope,
  );
  return { texts: checked.messages.map((m) => m.content), findings: checked.findings };
}

/** Content items with their texts checked (`checkTexts`); other items as they came. */
export function checkContent<T extends Item>(
  safety: Safety,
  items: readonly T[],
  scope: SafetyScope,
): { items: T[]; findings: Findings } {
  const texts = items.map(textOf);
  const checked = checkTexts(
    safety,
    texts.filter((text) => text !== undefined),
    scope,
  );
  let next = 0;
  const checkedItems = items.map((item, index) => {
    if (texts[index] === undefined) return item;
    const text = checked.texts[next++] ?? '';
    return text === texts[index] ? item : (withText(item, text) as T);
  });
  return { items: checkedItems, findings: checked.findings };
}

export function checkToolResult(
  safety: Safety,
  result: CallToolResult,
  scope: SafetyScope,
): { result: CallToolResult; findings: Findings } {
  const { items: content, findings } = checkContent(safety, result.content, scope);
  if (result.structuredContent === undefined) {
    return { result: { ...result, content }, findings };
  }
  const structured = safety.checkVariables(result.structuredContent, scope);
  return {
    result: { ...result, content, structuredContent: structured.variables },
    findings: sum(findings, structured.findings),
  };
}
