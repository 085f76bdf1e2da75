import type { ChatMessage } from '../core/types.ts';
import { ApiError } from '../errors/api-error.ts';
import {
  foldConfusables,
  INVISIBLE_PATTERN,
  LINE_ROLE_PATTERN,
  META_PATTERN,
  TAG_GATE,
  TAG_PATTERN,
} from './sanitizer-rules.ts';

export type FindingKind =
  'role_marker' | 'template_token' | 'meta_instruction' | 'invisible_unicode' | 'role_escalation';

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
    const content = sanitizeContent(message.content, replacement, index, findings);
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
  options: Pick<SanitizeOptions, 'replacement'> = {},
): { text: string; findings: Finding[] } {
  const findings: Finding[] = [];
  return { text: sanitizeContent(text, options.replacement ?? '[removed]', 0, findings), findings };
}

/** A stretch of the normalised text to replace. */
interface Span {
  start: number;
  end: number;
  kind: 'role_marker' | 'template_token' | 'meta_instruction';
}

/** The sanitised `text`, appending its findings to `findings`. */
function sanitizeContent(
  text: string,
  replacement: string,
  messageIndex: number,
  findings: Finding[],
): string {
  // ASCII text has no invisible characters and is its own NFKC form and confusable fold.
  let normalized = text;
  let folded = text;
  let invisible = 0;
  if (NON_ASCII.test(text)) {
    const visible = text.replace(INVISIBLE_PATTERN, (match, joined, flag) => {
      if (joined !== undefined || flag !== undefined) return match;
      invisible += 1;
      return '';
    });
    normalized = visible.normalize('NFKC');
    folded = foldConfusables(normalized);
  }
  if (invisible > 0) findings.push({ kind: 'invisible_unicode', messageIndex, count: invisible });

  const spans = findSpans(folded);
  if (spans === undefined) return invisible > 0 ? normalized : text;

  // The passes can overlap in contrived input; the earliest span wins, later overlaps are dropped.
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const counts = { role_marker: 0, template_token: 0, meta_instruction: 0 };
  let result = '';
  let copied = 0;
  for (const span of spans) {
    if (span.start < copied) continue;
    counts[span.kind] += 1;
    result += normalized.slice(copied, span.start) + replacement;
    copied = span.end;
  }
  for (const kind of ['role_marker', 'template_token', 'meta_instruction'] as const) {
    if (counts[kind] > 0) findings.push({ kind, messageIndex, count: counts[kind] });
  }
  return result + normalized.slice(copied);
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
