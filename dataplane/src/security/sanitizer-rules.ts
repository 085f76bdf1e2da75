/**
 * What the sanitiser looks for in client-supplied content. Patterns run on NFKC-normalised text
 * with look-alike letters folded to ASCII ({@link foldConfusables}), case-insensitively, so
 * full-width, mathematical and Cyrillic/Greek look-alike spellings match like plain ones.
 *
 * Judgement calls, each with a test:
 * - Role labels count only at the start of a line and only for privileged roles (`System:`,
 *   `Developer:`, `Sistema:`): "the operating system: Linux" and a log line such as
 *   `Jan 3 host system: disk full` are kept. A line that starts with `system:` is removed even
 *   inside a code block: the model reads code blocks too, and losing a label there costs little.
 * - `User:`, `Assistant:` and `Human:` labels are kept: pasted transcripts are everyday content,
 *   and they claim no privilege; the chat-template tokens that really delimit turns are removed.
 * - `<s>` and `</s>` look like HTML strikethrough. `</s>` is removed unless an `<s>` opened
 *   earlier on its line (within 200 characters); `<s>` only when a template token or marker
 *   follows it.
 * - Persona switches ("from now on you are", "a partir de ahora eres") are removed even when
 *   the persona is harmless: the phrase goes, the rest of the sentence stays.
 * - Spaced-out or leetspeak spellings ("i g n o r e", "1gn0re") are not chased.
 */

/** Role labels at the start of a line: a fake turn of a privileged role. */
const LINE_ROLE_MARKERS = [
  // "System:", "**System prompt:**", "> Sistema:", but not after a list bullet:
  // "- System: Ubuntu 24.04" is a spec sheet, not a turn.
  String.raw`^[\t >#]*(?:\*\*|__)?(?:system|developer|sistema|desarrollador)(?:[\t ]+(?:prompt|message|mensaje|instructions?|instrucciones))?[\t ]*(?:\*\*|__)?[\t ]*:(?:\*\*|__)?`,
  // Alpaca-style headers: "### Instruction:", "### Response:", "### Instrucción:".
  String.raw`^[\t ]*#{2,}[\t ]*(?:instructions?|system|response|input|human|assistant|instrucci[oó]n|instrucciones|sistema|respuesta)[\t ]*:`,
];

/** Tags and template tokens that open a turn of a role. */
const TAG_ROLE_MARKERS = [
  String.raw`\[[\t ]*(?:system|developer|sistema)[\t ]*\](?:\(#[\w-]*\))?`,
  String.raw`</?(?:system|developer|system_prompt)[\t ]*>`,
  String.raw`\[/?(?:INST|SYSTEM_PROMPT)\]`,
  String.raw`<</?SYS>>`,
  String.raw`<\|(?:im_start|start)\|>[\t ]*(?:system|developer|user|assistant|tool)?`,
  String.raw`<\|start_header_id\|>[\t ]*\w*[\t ]*<\|end_header_id\|>`,
  String.raw`<\|(?:system|developer|user|assistant|tool|ipython)\|>`,
  String.raw`<start_of_turn>[\t ]*(?:system|user|model)?`,
  String.raw`<s>(?=[\t ]*(?:\[INST\]|<<SYS>>|<\|))`,
];

/** Chat-template tokens that structure a conversation without naming a role. */
const TEMPLATE_TOKENS = [
  // <|im_end|>, <|eot_id|>, <|endoftext|>, <|channel|>, and DeepSeek's <｜end▁of▁sentence｜>.
  String.raw`<\|[^|<>\r\n]{1,40}\|>`,
  String.raw`(?<!<s>[^<\r\n]{0,200})</s>`,
  String.raw`<(?:end_of_turn|eos|bos)>`,
  String.raw`\[/?(?:AVAILABLE_TOOLS|TOOL_CALLS|TOOL_RESULTS)\]`,
];

const QUALIFIER = String.raw`(?:previous|prior|above|earlier|preceding|foregoing|former|original|initial|existing|system|developer|safety|old)`;
const DIRECTIVES = String.raw`(?:instructions?|prompts?|directions?|directives?|rules?|guidelines?|context|messages?|commands?|orders?|constraints?|guardrails?|polic(?:y|ies)|restrictions?|programming)`;
const ES_VERB = String.raw`(?:olvida|olvide|olvidad|ignora|ignore|ignorad|descarta|descarte|omite|omita|pasa[\t ]+por[\t ]+alto|no[\t ]+hagas[\t ]+caso[\t ]+(?:a|de))`;
const ES_DIRECTIVES = String.raw`(?:instrucciones|indicaciones|reglas|[oó]rdenes|directrices|normas|restricciones|pautas|consignas)`;
const ES_QUALIFIER = String.raw`(?:anteriores|previas|de[\t ]+arriba|del[\t ]+sistema|originales|iniciales|que[\t ]+te[\t ]+(?:dieron|han[\t ]+dado|di))`;

/** Meta-instructions: attempts to override, replace or leak the instructions in force. */
const META_INSTRUCTIONS = [
  // "ignore all previous instructions", "disregard the prior system prompt"
  String.raw`\b(?:ignore|disregard|forget|override|bypass)\s+(?:(?:all|any|every|of|the|your|my|these|those)\s+){0,4}${QUALIFIER}\s+(?:\w+\s+)?${DIRECTIVES}\b`,
  // "ignore your instructions", "forget all rules"
  String.raw`\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+(?:of\s+)?)?(?:your|all|any)\s+(?:\w+\s+)?(?:instructions?|rules|guidelines|programming|restrictions|guardrails|constraints)\b`,
  // "forget everything above", "ignore all you were told before"
  String.raw`\b(?:ignore|disregard|forget)\s+(?:everything|all|anything)\s+(?:(?:that\s+)?(?:was\s+|you\s+were\s+|i\s+|you've\s+been\s+)?(?:said|told|written|stated|given)\s+)?(?:above|before|previously|earlier|so\s+far|until\s+now)\b`,
  // "disregard the above" (but not "disregard the above typo")
  String.raw`\b(?:ignore|disregard|forget)\s+(?:all\s+)?(?:of\s+)?(?:the|that)\s+above\b(?![\t ]+(?!and\b|then\b|instead\b)[a-z])`,
  String.raw`\byou\s+are\s+now\s+(?:(?:a|an|in|the|my)\s+)?(?:DAN|STAN|DUDE|jailbroken|unrestricted|unfiltered|uncensored|unchained|unlocked|free\s+(?:from|of)|developer\s+mode|god\s+mode|evil|amoral|without\s+(?:restrictions|limits|rules|filters))\b`,
  String.raw`\byou\s+are\s+no\s+longer\s+(?:bound|restricted|limited|an?\s+(?:AI|assistant|language\s+model)|ChatGPT|Claude)\b`,
  String.raw`\b(?:act|behave|respond|pretend|roleplay)\s+(?:as|like)\s+(?:if\s+you\s+(?:are|were)\s+)?(?:(?:a|an)\s+)?(?:DAN|jailbroken|unrestricted|unfiltered|uncensored)\b`,
  String.raw`\b(?:do\s+anything\s+now|DAN\s+mode|(?:enable|activate|enter)\s+(?:developer|dev|god|jailbreak)\s+mode|(?:developer|god|jailbreak)\s+mode\s+(?:enabled|activated|on))\b`,
  String.raw`\b(?:new|updated|revised|real|actual|true|override|overriding|secret|hidden)\s+(?:system\s+)?(?:instructions?|prompts?|directives?)\s*:`,
  String.raw`\b(?:reveal|show|print|repeat|output|display|leak|dump|tell)\s+(?:me\s+)?(?:your|the)\s+(?:full\s+|entire\s+|exact\s+)?(?:system|initial|original|hidden|secret|developer)\s+(?:prompt|instructions|message)\b`,
  String.raw`\bfrom\s+now\s+on\s*,?\s+you\s+are\b`,
  // Spanish: "ignora las instrucciones anteriores", "olvida todas tus reglas"
  String.raw`\b${ES_VERB}\s+(?:(?:todas|todos|todo|las|los|tus|sus|esas|estas|de)\s+){0,3}${ES_DIRECTIVES}\s+${ES_QUALIFIER}`,
  String.raw`\b${ES_VERB}\s+(?:todas\s+(?:las\s+|tus\s+)?|tus\s+)${ES_DIRECTIVES}`,
  String.raw`\b(?:olvida|ignora|descarta|olvide|ignore)\s+(?:todo\s+)?lo\s+(?:anterior|dicho|de\s+arriba|que\s+(?:te\s+)?(?:dije|dijeron|han\s+dicho))\b`,
  String.raw`\b(?:a\s+partir\s+de\s+ahora|desde\s+ahora(?:\s+en\s+adelante)?|de\s+ahora\s+en\s+adelante)\s*,?\s+(?:t[uú]\s+)?(?:eres|ser[aá]s|vas\s+a\s+ser|act[uú]a(?:r[aá]s)?\s+como)`,
  String.raw`\bahora\s+eres\s+(?:DAN|un\s+(?:modelo|asistente|AI|IA)\s+(?:sin\s+(?:restricciones|filtros|l[ií]mites|censura)|liberado))`,
  String.raw`\b(?:(?:activa|habilita|entra\s+en)\s+(?:el\s+)?modo\s+(?:desarrollador|dios|DAN|sin\s+restricciones)|modo\s+(?:desarrollador|dios|DAN)\s+(?:activado|habilitado))`,
  String.raw`\b(?:(?:nuevas|verdaderas|reales|actualizadas)\s+instrucciones|instrucciones\s+(?:nuevas|actualizadas|reales))\s*:`,
  String.raw`\b(?:revela|muestra|mu[eé]strame|imprime|repite|dime|ens[eé][ñn]ame)\s+(?:tu|tus|el|las)\s+(?:prompt|instrucciones|mensaje)\s+(?:del\s+sistema|de\s+sistema|inicial(?:es)?|original(?:es)?|ocult[oa]s?|secret[oa]s?)`,
];

/**
 * Three passes, each cheap to skip: tags need a `<` or `[` ({@link TAG_GATE}), line labels a
 * `:`, and every meta-instruction starts a word (the `\b(?=[a-z])` prefix halves the scan time
 * of ordinary prose by letting the engine skip mid-word positions).
 *
 * In {@link TAG_PATTERN}, group 1 is a role marker and group 2 a template token; role markers
 * come first so that `<|system|>` counts as a role marker, not a generic token.
 */
export const TAG_PATTERN = new RegExp(
  `(${TAG_ROLE_MARKERS.join('|')})|(${TEMPLATE_TOKENS.join('|')})`,
  'gi',
);
export const TAG_GATE = /[<[]/;
export const LINE_ROLE_PATTERN = new RegExp(LINE_ROLE_MARKERS.join('|'), 'gim');
export const META_PATTERN = new RegExp(
  String.raw`\b(?=[a-z])(?:${META_INSTRUCTIONS.join('|')})`,
  'gi',
);

/**
 * Invisible characters that carry no meaning a reader can see: zero-width (U+200B-U+200D,
 * U+2060-U+2064, U+FEFF, U+00AD, U+180E), bidi embeddings, overrides and isolates (U+202A-U+202E,
 * U+2066-U+2069, U+206A-U+206F), tag characters (U+E0000-U+E007F) and the supplementary
 * variation selectors (U+E0100-U+E01EF), both used to smuggle hidden ASCII.
 *
 * Two sequences are kept (groups 1 and 2), so that ordinary emoji pass unchanged: a zero-width
 * joiner between two pictographs (👩‍💻), and a subdivision flag (🏴 + 2-6 tag letters + cancel
 * tag), whose few tag letters cannot carry an instruction. U+200E/U+200F and U+FE00-U+FE0F
 * stay: right-to-left text and emoji presentation need them.
 */
export const INVISIBLE_PATTERN =
  /(\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})?\u200D(?=\p{Extended_Pictographic}))|(\u{1F3F4}[\u{E0030}-\u{E0039}\u{E0061}-\u{E007A}]{2,6}\u{E007F})|[\u00AD\u180E\u200B-\u200D\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\u{E0000}-\u{E007F}]|[\u{E0100}-\u{E01EF}]/gu;

/**
 * Cyrillic and Greek letters, and Latin small capitals, that NFKC leaves alone but that render
 * like Latin ones.
 */
const CONFUSABLES: Readonly<Record<string, string>> = {
  а: 'a',
  в: 'b',
  е: 'e',
  о: 'o',
  р: 'p',
  с: 'c',
  у: 'y',
  х: 'x',
  і: 'i',
  ј: 'j',
  ѕ: 's',
  ԁ: 'd',
  ԛ: 'q',
  ԝ: 'w',
  һ: 'h',
  ӏ: 'l',
  к: 'k',
  м: 'm',
  н: 'h',
  т: 't',
  А: 'A',
  В: 'B',
  Е: 'E',
  К: 'K',
  М: 'M',
  Н: 'H',
  О: 'O',
  Р: 'P',
  С: 'C',
  Т: 'T',
  Х: 'X',
  Ү: 'Y',
  І: 'I',
  Ј: 'J',
  Ѕ: 'S',
  α: 'a',
  ο: 'o',
  ν: 'v',
  ι: 'i',
  κ: 'k',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  ε: 'e',
  Α: 'A',
  Β: 'B',
  Ε: 'E',
  Ζ: 'Z',
  Η: 'H',
  Ι: 'I',
  Κ: 'K',
  Μ: 'M',
  Ν: 'N',
  Ο: 'O',
  Ρ: 'P',
  Τ: 'T',
  Υ: 'Y',
  Χ: 'X',
  ı: 'i',
  // Latin small capitals ("ɪɢɴᴏʀᴇ"), which NFKC leaves as they are.
  ᴀ: 'a',
  ʙ: 'b',
  ᴄ: 'c',
  ᴅ: 'd',
  ᴇ: 'e',
  ꜰ: 'f',
  ɢ: 'g',
  ʜ: 'h',
  ɪ: 'i',
  ᴊ: 'j',
  ᴋ: 'k',
  ʟ: 'l',
  ᴍ: 'm',
  ɴ: 'n',
  ᴏ: 'o',
  ᴘ: 'p',
  ʀ: 'r',
  ꜱ: 's',
  ᴛ: 't',
  ᴜ: 'u',
  ᴠ: 'v',
  ᴡ: 'w',
  ʏ: 'y',
  ᴢ: 'z',
};
const CONFUSABLE_PATTERN = new RegExp(`[${Object.keys(CONFUSABLES).join('')}]`, 'g');

/**
 * `text` with look-alike letters replaced by their ASCII twins. Every replacement is one UTF-16
 * unit for one, so offsets in the result are offsets in `text`: matches found on the folded text
 * are cut out of the unfolded one, and Greek or Russian prose comes back untouched.
 */
export function foldConfusables(text: string): string {
  return text.replace(CONFUSABLE_PATTERN, (letter) => CONFUSABLES[letter] ?? letter);
}
