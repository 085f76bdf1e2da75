/**
 * The shape of a prompt-injection rule pack and how packs are compiled. A pack is one language
 * (or `structure`: markers that read the same in every language); each rule adds its weight to
 * one category of the message's score when it matches, once per message however often it
 * matches. docs/safety.md says how to add a pack.
 */
import { toLatin1Pattern } from './injection-latin1.ts';

/** What an injection attempt tries to do; findings are counted as `injection:<category>`. */
export const INJECTION_CATEGORIES = [
  /** Ignore, forget or replace the instructions in force. */
  'override',
  /** Fake conversation turns: role labels, chat-template tokens, pasted role objects. */
  'forged_turn',
  /** An instruction inside an HTML/XML comment or markup the reader does not see. */
  'hidden',
  /** Repeat, quote or reveal the system prompt or the text "above" / "at the beginning". */
  'prompt_leak',
  /** A claimed authority: the developers, a system override, a system prompt beginning. */
  'authority',
  /** A persona without rules: DAN, developer mode, "you are no longer bound". */
  'jailbreak',
  /** An instruction wrapped in a translation or role-play request. */
  'wrapped',
  /** Asks to hide instructions in tags, comments or markers. */
  'tag_smuggle',
  /** Sends secrets or the conversation somewhere, or makes a tool do it. */
  'exfiltration',
  /** Spaced-out letters, leetspeak or invisible characters in front of a matched rule. */
  'obfuscation',
  /** The classifier stage's share of the score. */
  'classifier',
] as const;
export type InjectionCategory = (typeof INJECTION_CATEGORIES)[number];

export interface InjectionRule {
  /** `<lang>.<category>.<name>`, unique across packs. */
  readonly id: string;
  readonly category: InjectionCategory;
  /**
   * What one match adds to the score. The default threshold is 1: a rule of weight 1 flags a
   * message alone (a phrase with no benign reading, "ignore all previous instructions"); lighter
   * ones need another signal ("User:" and "Assistant:" lines are transcripts until they carry
   * an instruction).
   */
  readonly weight: number;
  /**
   * A regular expression source, matched case-insensitively with the `u` and `m` flags (`^` is a line start). `\b` is a
   * Unicode word boundary here (letters with accents, Cyrillic), not JavaScript's ASCII one.
   */
  readonly pattern: string;
}

export interface InjectionRulePack {
  /** ISO 639-1 code(s), or `structure` for the language-neutral pack. */
  readonly lang: string;
  /**
   * `latin`: the rules read text with Cyrillic and Greek look-alikes folded to Latin letters
   * (so `іgnore` with a Cyrillic і matches). `native`: the rules read the text as written
   * (Cyrillic, Chinese, Japanese). @default the pack's own
   */
  readonly script: 'latin' | 'native';
  /** Skips the pack on text without these characters (a Chinese pack on Latin text). */
  readonly gate?: RegExp;
  readonly rules: readonly InjectionRule[];
}

/** A rule in a compact form: `[name, category, weight, pattern]`. */
export type RuleRow = readonly [string, InjectionCategory, number, string];

/** A pack from compact rows; ids become `<lang>.<category>.<name>`. */
export function pack(
  lang: string,
  script: InjectionRulePack['script'],
  rows: readonly RuleRow[],
  gate?: RegExp,
): InjectionRulePack {
  return {
    lang,
    script,
    ...(gate === undefined ? {} : { gate }),
    rules: rows.map(([name, category, weight, pattern]) => ({
      id: `${lang}.${category}.${name}`,
      category,
      weight,
      pattern,
    })),
  };
}

/**
 * A pack's rules, each its own regular expression (`rules[i]` is `pack.rules[i]`): two rules
 * that match the same words must both count, which one alternation of them all would not do
 * (and V8 runs a long alternation of look-behinds slower than its parts one by one).
 */
export interface CompiledPack {
  readonly pack: InjectionRulePack;
  readonly rules: readonly RegExp[];
  /**
   * Per rule of a Latin-script pack, the same rule for the one-byte copy of a text
   * (injection-latin1.ts); undefined for a rule the copy cannot hold and in the other packs.
   */
  readonly latin1: readonly (RegExp | undefined)[];
}

const WORD = String.raw`[\p{L}\p{N}_]`;
const BOUNDARY = String.raw`(?:(?<!${WORD})(?=${WORD})|(?<=${WORD})(?!${WORD}))`;

/**
 * `\b` outside a character class, unescaped, as a Unicode word boundary. At the start of a
 * pattern (before a word) only the look-behind half is needed, at its end only the look-ahead
 * half: a third of the scan time of the full boundary on prose.
 */
function unicodeBoundaries(source: string): string {
  return source
    .replace(/^\\b/, `(?<!${WORD})`)
    .replace(/(?<!\\)((?:\\\\)*)\\b$/, `$1(?!${WORD})`)
    .replace(/(?<!\\)((?:\\\\)*)\\b/g, `$1${BOUNDARY}`);
}

/**
 * Compiles a pack. Rules may not hold capture groups (use `(?:…)`), so that a pattern is a
 * match and nothing else.
 * @throws Error naming the rule whose pattern does not compile or captures.
 */
export function compilePack(pack: InjectionRulePack): CompiledPack {
  const sources = pack.rules.map((rule) => {
    const source = unicodeBoundaries(rule.pattern);
    let groups: number;
    try {
      groups = new RegExp(`${source}|`, 'iu').exec('')?.length ?? 1;
    } catch (error) {
      throw new Error(`injection rule ${rule.id}: ${(error as Error).message}`, { cause: error });
    }
    if (groups !== 1) throw new Error(`injection rule ${rule.id} has a capture group`);
    return source;
  });
  return {
    pack,
    rules: sources.map((source) => new RegExp(source, 'gimu')),
    latin1: sources.map((source) => {
      const latin1 = pack.script === 'latin' ? toLatin1Pattern(source) : undefined;
      return latin1 === undefined ? undefined : new RegExp(latin1, 'gimu');
    }),
  };
}
