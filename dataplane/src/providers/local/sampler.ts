/** How the next token is picked. Temperature 0 is greedy (argmax, deterministic). */
export interface SamplingOptions {
  temperature: number;
  /** Nucleus: sample from the smallest set of tokens whose probability reaches topP. @default 1 */
  topP: number;
}

/** The next token: argmax for temperature 0, otherwise top-p sampling at the temperature. */
export function pickToken(
  logits: Float32Array,
  options: SamplingOptions,
  random: () => number = Math.random,
): number {
  if (options.temperature <= 0) return argmax(logits);
  const max = Math.max(...logits);
  const weights: { id: number; p: number }[] = [];
  let sum = 0;
  for (const [id, logit] of logits.entries()) {
    const p = Math.exp((logit - max) / options.temperature);
    sum += p;
    weights.push({ id, p });
  }
  weights.sort((a, b) => b.p - a.p || a.id - b.id);
  const nucleus: { id: number; p: number }[] = [];
  let mass = 0;
  for (const weight of weights) {
    nucleus.push(weight);
    mass += weight.p / sum;
    if (mass >= options.topP) break;
  }
  let threshold = random() * nucleus.reduce((total, weight) => total + weight.p, 0);
  for (const weight of nucleus) {
    threshold -= weight.p;
    if (threshold <= 0) return weight.id;
  }
  return nucleus.at(-1)?.id ?? 0;
}

export function argmax(values: Float32Array): number {
  let best = 0;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (const [index, value] of values.entries()) {
    if (value > bestValue) {
      best = index;
      bestValue = value;
    }
  }
  return best;
}

/**
 * Uniform numbers in [0, 1) from a seed (mulberry32): the same seed samples the same answer.
 * Seeds are taken modulo 2^32.
 */
export function seededRandom(seed: number): () => number {
  let state = Math.trunc(seed) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
