import type { ChatMessage } from '../core/types.ts';
import { ApiError } from '../errors/api-error.ts';
import { classifierScore, type InjectionClassifier } from './injection-classifier.ts';
import { scanInjection } from './injection-scan.ts';
import {
  foldConfusables,
  INVISIBLE_PATTERN,
  LINE_ROLE_PATTERN,
  META_PATTERN,
  TAG_GATE,
  TAG_PATTERN,
} from './sanitizer-rules.ts';

export type FindingKind =
  | 'role_marker'
  | 'template_token'
  | 'meta_instruction'
  | 'invisible_unicode'
  | 'role_escalation'
  /** A message whose injection score reached the threshold (count 1 per message). */
  | 'injection'
  /** The categories of its score: `injection:override`, `injection:classifier`… */
  | `injection:${string}`;

/** What the sanitiser found in one message: metadata only, never the content itself. */
export interface Finding {
  kind: FindingKind;
  messageIndex: number;
  count: number;
}

export interface SanitizeOptions {
  /**
   * What happens to a `system` message sent by a client: `demote` turns it into a `user`
   * message and reports a `role_escalation` finding; `refuse` rejects the request with
   * `CONTENT_BLOCKED`. @default 'demote'
   */
  systemMessages?: 'demote' | 'refuse';
  /** What replaces each removed marker or instruction. @default '[removed]' */
  replacement?: string;
  /** The injection scoring stage; without it only the markers above are looked for. */
  injection?: InjectionOptions;
}

/**
 * How a message's injection score (the rule packs' weights plus the classifier's share) is
 * acted on once it reaches `threshold`:
 * - `flag`: findings only; the content, markers included, is passed on as it came.
 * - `sanitize`: the matched stretches (and a comment that held one) are replaced, as markers are.
 * - `block`: the request is refused with `CONTENT_BLOCKED` (reason `prompt_injection`, the
 *   message's index and categories; never its text). Below the threshold it is `sanitize`.
 */
export interface InjectionOptions {
  action: 'flag' | 'sanitize' | 'block';
  /** @default 1 */
  threshold: number;
  classifier?: InjectionClassifier | undefined;
  /** What the classifier adds at certainty (see `classifierScore`). @default 1 */
  classifierWeight?: number;
}

export interface SanitizeResult {
  messages: ChatMessage[];
  findings: Finding[];
}

const NON_ASCII = /[\u0080-\uFFFF]/;

/**
 * Sanitises messages that came from a client, before trusted content (a prompt manifest's
 * system message) joins them; do not pass trusted messages here, their system role would be
 * demoted too.
 *
 * Every message is treated as untrusted, whatever its role: assistant and tool turns sent by a
 * client are as forgeable as user turns. Content with no finding comes back as the very same
 * string; content with findings comes back NFKC-normalised, invisible characters dropped and
 * each marker or meta-instruction replaced by `[removed]`. Messages are never mutated: changed
 * ones are copies, the rest are the input objects in a new array.
 *
 * @throws ApiError `CONTENT_BLOCKED` for a system message when `systemMessages` is `refuse`.
 */
export function sanitizeMessages(
  messages: readonly ChatMessage[],
  options: SanitizeOptions = {},
): SanitizeResult {
  const replacement = options.replacement ?? '[removed]';
  const findings: Finding[] = [];
  const sanitized: ChatMessage[] = [];
  for (const [index, message] of messages.entries()) {
    let { role } = message;
    if (role === 'system') {
      if (options.systemMessages === 'refuse') {
        throw new ApiError('CONTENT_BLOCKED', 'Clients may not send system messages.', {
          details: { reason: 'system_role', messageIndex: index },
        });
      }
      role = 'user';
      findings.push({ kind: 'role_escalation', messageIndex: index, count: 1 });
    }
    const content = sanitizeContent(
      message.content,
      replacement,
      index,
      findings,
      options.injection && { ...options.injection, indirect: message.role === 'tool' },
    );
    sanitized.push(
      role === message.role && content === message.content
        ? message
        : { ...message, role, content },
    );
  }
  return { messages: sanitized, findings };
}

/**
 * Sanitises one untrusted text (a prompt variable, say) as {@link sanitizeMessages} does a
 * message's content; findings carry `messageIndex` 0.
 */
export function sanitizeText(
  text: string,
  options: Pick<SanitizeOptions, 'replacement' | 'injection'> = {},
): { text: string; findings: Finding[] } {
  const findings: Finding[] = [];
  const replacement = options.replacement ?? '[removed]';
  return {
    text: sanitizeContent(text, replacement, 0, findings, options.injection),
    findings,
  };
}

/**
 * The form of an untrusted text that the injection score reads (and a classifier is given):
 * NFKC-normalised, invisible characters dropped (`invisible` says how many).
 */
export function normalizeUntrusted(text: string): { normalized: string; invisible: number } {
  // ASCII text has no invisible characters and is its own NFKC form and confusable fold.
  if (!NON_ASCII.test(text)) return { normalized: text, invisible: 0 };
  let invisible = 0;
  const visible = text.replace(INVISIBLE_PATTERN, (match, joined, flag) => {
    if (joined !== undefined || flag !== undefined) return match;
    invisible += 1;
    return '';
  });
  return { normalized: visible.normalize('NFKC'), invisible };
}

/** A stretch of the normalised text to replace. */
interface Span {
  start: number;
  end: number;
  kind: 'role_marker' | 'template_token' | 'meta_instruction' | 'injection';
}

/** The sanitised `text`, appending its findings to `findings`. */
function sanitizeContent(
  text: string,
  replacement: string,
  messageIndex: number,
  findings: Finding[],
  injection: (InjectionOptions & { indirect?: boolean }) | undefined,
): string {
  const { normalized, invisible } = normalizeUntrusted(text);
  const folded = NON_ASCII.test(text) ? foldConfusables(normalized) : text;
  if (invisible > 0) findings.push({ kind: 'invisible_unicode', messageIndex, count: invisible });

  let spans = findSpans(folded);
  if (injection !== undefined) {
    const injected = scoreInjection(normalized, invisible, injection, messageIndex, findings);
    if (injected !== undefined && injection.action === 'sanitize') {
      spans = [
        ...(spans ?? []),
        ...injected.map(([start, end]) => ({ start, end, kind: 'injection' as const })),
      ];
    }
  }
  if (injection?.action === 'flag') {
    // Findings only: count what sanitising would have removed, and pass the text on as it came.
    for (const [kind, count] of countSpans(spans ?? [])) {
      findings.push({ kind, messageIndex, count });
    }
    return text;
  }
  if (spans === undefined) return invisible > 0 ? normalized : text;

  // The passes can overlap in contrived input; the earliest span wins, later overlaps are dropped.
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  let result = '';
  let copied = 0;
  for (const span of spans) {
    if (span.start < copied) {
      // Overlapping spans (a rule inside a removed comment) extend the cut.
      copied = Math.max(copied, span.end);
      continue;
    }
    result += normalized.slice(copied, span.start) + replacement;
    copied = span.end;
  }
  for (const [kind, count] of countSpans(spans)) findings.push({ kind, messageIndex, count });
  return result + normalized.slice(copied);
}

/** Marker spans by kind, overlaps dropped as the cut drops them; injection spans not counted. */
function countSpans(spans: Span[]): [FindingKind, number][] {
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  const counts = { role_marker: 0, template_token: 0, meta_instruction: 0 };
  let copied = 0;
  for (const span of sorted) {
    if (span.start < copied) continue;
    copied = span.end;
    if (span.kind !== 'injection') counts[span.kind] += 1;
  }
  return (['role_marker', 'template_token', 'meta_instruction'] as const)
    .filter((kind) => counts[kind] > 0)
    .map((kind) => [kind, counts[kind]]);
}

/**
 * What the rules' score of a `tool` message (a tool result, a retrieved document) is multiplied
 * by: content the model did not ask a person for has no business addressing the model, so the
 * same words weigh half again as much there as in a user's turn.
 */
export const INDIRECT_FACTOR = 1.5;

/**
 * The injection score of one text against the threshold: below it, undefined and no finding;
 * at or above it, the `injection` findings and the spans to cut.
 * @throws ApiError `CONTENT_BLOCKED` when the action is `block`.
 */
function scoreInjection(
  normalized: string,
  invisible: number,
  options: InjectionOptions & { indirect?: boolean },
  messageIndex: number,
  findings: Finding[],
): [number, number][] | undefined {
  const scan = scanInjection(normalized, invisible);
  let score = options.indirect === true ? scan.score * INDIRECT_FACTOR : scan.score;
  const categories = { ...scan.categories };
  if (options.classifier !== undefined && score < options.threshold) {
    // The classifier is consulted only when the rules alone have not decided.
    const share = classifierScore(
      options.classifier.probability(normalized),
      options.classifierWeight ?? 1,
    );
    if (share > 0) {
      categories.classifier = share;
      score += share;
    }
  }
  if (score < options.threshold) return undefined;
  const names = Object.keys(categories).sort();
  if (options.action === 'block') {
    throw new ApiError('CONTENT_BLOCKED', 'The request reads as a prompt-injection attempt.', {
      details: { reason: 'prompt_injection', messageIndex, categories: names },
    });
  }
  findings.push({ kind: 'injection', messageIndex, count: 1 });
  for (const name of names) findings.push({ kind: `injection:${name}`, messageIndex, count: 1 });
  return scan.spans;
}

/** Every marker, token and meta-instruction in `text`, unordered; undefined when none. */
function findSpans(text: string): Span[] | undefined {
  let spans: Span[] | undefined;
  const add = (match: RegExpExecArray, kind: Span['kind']) => {
    (spans ??= []).push({ start: match.index, end: match.index + match[0].length, kind });
  };
  if (TAG_GATE.test(text)) {
    TAG_PATTERN.lastIndex = 0;
    for (let match = TAG_PATTERN.exec(text); match; match = TAG_PATTERN.exec(text)) {
      add(match, match[1] === undefined ? 'template_token' : 'role_marker');
    }
  }
  if (text.includes(':')) {
    LINE_ROLE_PATTERN.lastIndex = 0;
    for (let match = LINE_ROLE_PATTERN.exec(text); match; match = LINE_ROLE_PATTERN.exec(text)) {
      add(match, 'role_marker');
    }
  }
  META_PATTERN.lastIndex = 0;
  for (let match = META_PATTERN.exec(text); match; match = META_PATTERN.exec(text)) {
    add(match, 'meta_instruction');
  }
  return spans;
}
