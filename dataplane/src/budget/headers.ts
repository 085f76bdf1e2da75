import type { PeriodWindow } from '../../../crds/budget-period.ts';
import type { BudgetLimits, Standing } from './store.ts';

/**
 * The rate-limit headers of a metered response, for each limit the tenant has:
 * - IETF `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers): policies
 *   `requests` (per 60 s), `streams`, `tokens` and `cost` (micro-USD) per period, each with its
 *   quota `q` and window `w` in seconds, and what is left `r` and seconds to its reset `t`;
 * - OpenAI's `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`, as its clients read them.
 */
export function rateLimitHeaders(
  limits: BudgetLimits,
  standing: Standing,
  window: PeriodWindow,
  now: number,
): [string, string][] {
  const periodS = Math.round((window.end - window.start) / 1000);
  const periodResetS = Math.max(0, Math.ceil((window.end - now) / 1000));
  const minuteResetS =
    standing.requestsResetAt === 0
      ? 60
      : Math.max(0, Math.ceil((standing.requestsResetAt - now) / 1000));
  const micro = (nano: number) => Math.floor(nano / 1000);
  /** Each limit the tenant has: its quota, window, what is used and when it resets. */
  const candidates: [
    name: string,
    quota: number | undefined,
    used: number,
    windowS: number,
    resetS: number,
  ][] = [
    ['requests', limits.requestsPerMinute, standing.requests, 60, minuteResetS],
    ['streams', limits.concurrentStreams, standing.streams, 0, 0],
    ['tokens', limits.tokens, standing.tokens, periodS, periodResetS],
    [
      'cost',
      limits.cost === undefined ? undefined : micro(limits.cost),
      Math.ceil(standing.cost / 1000),
      periodS,
      periodResetS,
    ],
  ];
  const policies = candidates.flatMap(([name, quota, used, windowS, resetS]) =>
    quota === undefined ? [] : [{ name, quota, windowS, left: quota - used, resetS }],
  );
  if (policies.length === 0) return [];
  const headers: [string, string][] = [
    [
      'ratelimit-policy',
      policies
        .map((p) => `"${p.name}";q=${p.quota}${p.windowS > 0 ? `;w=${p.windowS}` : ''}`)
        .join(', '),
    ],
    [
      'ratelimit',
      policies.map((p) => `"${p.name}";r=${Math.max(0, p.left)};t=${p.resetS}`).join(', '),
    ],
  ];
  for (const p of policies) {
    if (p.name !== 'requests' && p.name !== 'tokens') continue;
    headers.push(
      [`x-ratelimit-limit-${p.name}`, String(p.quota)],
      [`x-ratelimit-remaining-${p.name}`, String(Math.max(0, p.left))],
      [`x-ratelimit-reset-${p.name}`, duration(p.resetS)],
    );
  }
  return headers;
}

/** Seconds as OpenAI writes a reset: `45s`, `6m0s`, `2h3m0s`. */
function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
