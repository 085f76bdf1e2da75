/**
 * What upstreams return (tool results, resource contents, prompt messages) through the
 * gateway's input safety before it reaches the caller, and with it the model (indirect prompt
 * injection), as a chat request's input goes: the texts are first scored by the classifiers
 * that cannot score synchronously when the tenant's injection policy names one
 * (`Safety.scoreInjection`: the MiniLM embedding that jailguard and minilm_head read), then
 * every text (text items and embedded text resources) is checked as the content of a `tool`
 * message, as chat checks tool turns (the sanitiser, the injection policy of the tenant with its
 * classifiers and a tool result's indirect weight, the input PII policy); `structuredContent`
 * is checked string by string, as prompt variables are. `flag` passes the result on as it came
 * and reports findings; `sanitize` and PII `redact` replace what they match; `block` refuses the
 * result (a `SafetyRefusal`, with what was found). Images, audio, blobs and resource links are
 * passed on unread.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { stringsIn } from '../../engine/injection-scores.ts';
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

const asTool = (texts: readonly string[]) =>
  texts.map((content) => ({ role: 'tool' as const, content }));

/**
 * `scope` with the probabilities of the classifiers scored ahead (jailguard, minilm_head) for `texts`, as
 * the chat pipeline computes them for a request's input; `scope` itself when the tenant's
 * policy names none.
 */
async function scored(
  safety: Safety,
  texts: readonly string[],
  scope: SafetyScope,
): Promise<SafetyScope> {
  if (texts.length === 0 || safety.scoreInjection === undefined) return scope;
  const injectionScores = await safety.scoreInjection({ messages: asTool(texts) }, scope.tenant);
  return injectionScores === undefined ? scope : { ...scope, injectionScores };
}

/** Texts already scored (`scored`), each checked as a `tool` message's content, in order. */
function checkScored(
  safety: Safety,
  texts: readonly string[],
  scope: SafetyScope,
): { texts: string[]; findings: Findings } {
  if (texts.length === 0) return { texts: [], findings: {} };
  const checked = safety.checkInput(asTool(texts), scope);
  return { texts: checked.messages.map((m) => m.content), findings: checked.findings };
}

/** Texts an upstream returned, scored and each checked as a `tool` message's content. */
export async function checkTexts(
  safety: Safety,
  texts: readonly string[],
  scope: SafetyScope,
): Promise<{ texts: string[]; findings: Findings }> {
  return checkScored(safety, texts, await scored(safety, texts, scope));
}

/** Content items with their texts checked (`checkTexts`); other items as they came. */
export async function checkContent<T extends Item>(
  safety: Safety,
  items: readonly T[],
  scope: SafetyScope,
): Promise<{ items: T[]; findings: Findings }> {
  const texts = items.map(textOf).filter((text) => text !== undefined);
  return contentChecked(items, checkScored(safety, texts, await scored(safety, texts, scope)));
}

/** `items` with the checked texts in place of theirs, in order. */
function contentChecked<T extends Item>(
  items: readonly T[],
  checked: { texts: string[]; findings: Findings },
): { items: T[]; findings: Findings } {
  const texts = items.map(textOf);
  let next = 0;
  const checkedItems = items.map((item, index) => {
    if (texts[index] === undefined) return item;
    const text = checked.texts[next++] ?? '';
    return text === texts[index] ? item : (withText(item, text) as T);
  });
  return { items: checkedItems, findings: checked.findings };
}

/** A tool result's content items and structured content, scored together, then checked. */
export async function checkToolResult(
  safety: Safety,
  result: CallToolResult,
  scope: SafetyScope,
): Promise<{ result: CallToolResult; findings: Findings }> {
  const texts = result.content.map(textOf).filter((text) => text !== undefined);
  const withScores = await scored(
    safety,
    [...texts, ...stringsIn(result.structuredContent)],
    scope,
  );
  const { items: content, findings } = contentChecked(
    result.content,
    checkScored(safety, texts, withScores),
  );
  if (result.structuredContent === undefined) {
    return { result: { ...result, content }, findings };
  }
  const structured = safety.checkVariables(result.structuredContent, withScores);
  return {
    result: { ...result, content, structuredContent: structured.variables },
    findings: sum(findings, structured.findings),
  };
}
