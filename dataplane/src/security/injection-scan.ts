import { baseSpan, viewsOf, type TextView } from './injection-normalize.ts';
import { toLatin1View } from './injection-latin1.ts';
import { COMPILED_PACKS } from './injection-packs.ts';
import type { InjectionCategory, InjectionRule } from './injection-rules.ts';

/** What the rules found in one text: weights and ids, never the text. */
export interface InjectionScan {
  /** The sum of the weights of the rules that matched, each once, plus the bonuses. */
  score: number;
  /** The score's share per category. */
  categories: Partial<Record<InjectionCategory, number>>;
  /** Ids of the rules that matched, in the order first found. */
  rules: string[];
  /** Base-text spans of the matches and of the comments that held one, unordered. */
  spans: [number, number][];
}

/**
 * What a matched rule inside a comment adds (`hidden`), and what a rule that matched only once
 * a disguise was undone (spaced-out letters joined, base64 or hex decoded, ROT13 rotated back,
 * text read backwards, look-alike letters folded), or in text that held invisible characters,
 * adds (`obfuscation`): each once per text.
 */
export const HIDDEN_BONUS = 0.6;
export const OBFUSCATION_BONUS = 0.4;

/** Views that undo a disguise: a rule matched only there was disguised. */
const OBFUSCATED_VIEWS: ReadonlySet<TextView['name']> = new Set([
  'collapsed',
  'encoded',
  'rot13',
  'reversed',
]);

const COMMENT = /<!--[\s\S]*?(?:--!?>|$)|<!\[CDATA\[[\s\S]*?(?:\]\]>|$)/g;

interface Hit {
  rule: InjectionRule;
  span: [number, number];
  /** Found only once a disguise was undone (a view of {@link OBFUSCATED_VIEWS}, look-alikes). */
  disguised: boolean;
}

/**
 * Runs every rule pack over the views of `base` (NFKC-normalised text with invisible
 * characters dropped; `invisible` is how many were) and scores what matched.
 */
export function scanInjection(base: string, invisible = 0): InjectionScan {
  const views = viewsOf(base);
  const hits = new Map<string, Hit[]>();
  const latin1Views = new Map<TextView, string>();
  const latin1Of = (view: TextView) => {
    let text = latin1Views.get(view);
    if (text === undefined) latin1Views.set(view, (text = toLatin1View(view.folded)));
    return text;
  };
  for (const { pack, rules, latin1 } of COMPILED_PACKS) {
    if (pack.gate !== undefined && !pack.gate.test(base)) continue;
    for (const view of views) {
      // ROT13 and backwards words disguise English (the reversed view is read only for a text
      // with English words backwards); the other packs would read them for nothing.
      if ((view.name === 'rot13' || view.name === 'reversed') && pack.lang !== 'en') continue;
      const twoByte = pack.script === 'latin' ? view.folded : view.text;
      for (const [index, twoBytePattern] of rules.entries()) {
        const rule = pack.rules[index];
        if (rule === undefined) continue;
        const rulePattern = latin1[index] ?? twoBytePattern;
        const text = latin1[index] === undefined ? twoByte : latin1Of(view);
        rulePattern.lastIndex = 0;
        for (let match = rulePattern.exec(text); match; match = rulePattern.exec(text)) {
          const end = match.index + match[0].length;
          if (match[0].length === 0) {
            rulePattern.lastIndex += 1;
            continue;
          }
          // Look-alike letters folded inside the match are a disguise too.
          const disguised =
            OBFUSCATED_VIEWS.has(view.name) ||
            (pack.script === 'latin' &&
              view.text.slice(match.index, end) !== view.folded.slice(match.index, end));
          const list = hits.get(rule.id) ?? [];
          if (list.length === 0) hits.set(rule.id, list);
          list.push({ rule, span: baseSpan(view, match.index, end), disguised });
        }
      }
    }
  }

  const scan: InjectionScan = { score: 0, categories: {}, rules: [], spans: [] };
  if (hits.size === 0) return scan;
  const add = (category: InjectionCategory, weight: number) => {
    scan.categories[category] = (scan.categories[category] ?? 0) + weight;
    scan.score += weight;
  };
  let onlyObfuscated = false;
  for (const [id, list] of hits) {
    const first = list[0];
    if (first === undefined) continue;
    scan.rules.push(id);
    add(first.rule.category, first.rule.weight);
    for (const hit of list) scan.spans.push(hit.span);
    if (list.every((hit) => hit.disguised)) onlyObfuscated = true;
  }
  if (onlyObfuscated || invisible > 0) add('obfuscation', OBFUSCATION_BONUS);

  let hidden = false;
  COMMENT.lastIndex = 0;
  for (let match = COMMENT.exec(base); match; match = COMMENT.exec(base)) {
    const start = match.index;
    const end = start + match[0].length;
    const inside = scan.spans.some(([from, to]) => from >= start && to <= end);
    if (!inside) continue;
    hidden = true;
    scan.spans.push([start, end]);
  }
  if (hidden) add('hidden', HIDDEN_BONUS);
  scan.score = Math.round(scan.score * 1000) / 1000;
  return scan;
}
