/**
 * Calendar periods of a TenantBudget (UTC) and the Redis keys of a tenant's spend in one: the
 * contract between the dataplane, which charges, and the operator, which reports the spend.
 */
import { USD_DECIMAL, type TenantBudgetSpec } from './tenant-budget.ts';

const USD_PATTERN = new RegExp(USD_DECIMAL);

export type Period = NonNullable<TenantBudgetSpec['period']>;

export interface PeriodWindow {
  /** `2026-12-01`, `2026-W49` or `2026-12`: names the period in keys. */
  id: string;
  /** Epoch ms of the period's first instant and of the next period's. */
  start: number;
  end: number;
}

const DAY_MS = 86_400_000;

/** The period that holds `now` (epoch ms), in UTC: a day, an ISO week from Monday, a month. */
export function periodAt(period: Period, now: number): PeriodWindow {
  const date = new Date(now);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  const dayStart = Date.UTC(year, month, date.getUTCDate());
  switch (period) {
    case 'daily':
      return {
        id: new Date(dayStart).toISOString().slice(0, 10),
        start: dayStart,
        end: dayStart + DAY_MS,
      };
    case 'weekly': {
      const weekday = (date.getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
      const start = dayStart - weekday * DAY_MS;
      return { id: isoWeekId(start), start, end: start + 7 * DAY_MS };
    }
    case 'monthly': {
      const start = Date.UTC(year, month, 1);
      return {
        id: new Date(start).toISOString().slice(0, 7),
        start,
        end: Date.UTC(year, month + 1, 1),
      };
    }
  }
}

/** ISO 8601 week id of the week starting on Monday `mondayStart`: the year of its Thursday. */
function isoWeekId(mondayStart: number): string {
  const thursday = new Date(mondayStart + 3 * DAY_MS);
  const year = thursday.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(year, 0, 4));
  const firstMonday = firstThursday.getTime() - ((firstThursday.getUTCDay() + 6) % 7) * DAY_MS;
  const week = Math.round((mondayStart - firstMonday) / (7 * DAY_MS)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/**
 * The Redis hash of a tenant's spend in one period. Fields: `cost` (nano-USD settled),
 * `tokens` (settled), `held_cost` and `held_tokens` (reserved, not yet settled). It expires a
 * day after its period ends. The tenant is in braces, so a tenant's keys share a cluster slot.
 */
export function spendKey(prefix: string, tenant: string, window: PeriodWindow): string {
  return `${prefix}budget:{${tenant}}:spend:${window.id}`;
}

/** Nano-USD (10⁻⁹ USD) in one US dollar: the unit every amount is counted in. */
export const NANO_USD_PER_USD = 1_000_000_000;

/** A USD decimal string (at most 6 fractional digits, crds' USD_DECIMAL) in nano-USD, exactly. */
export function usdToNano(usd: string | number): number {
  const text = typeof usd === 'number' ? String(usd) : usd;
  if (!USD_PATTERN.test(text)) throw new RangeError(`${text} is not a USD amount (${USD_DECIMAL})`);
  const [whole = '0', fraction = ''] = text.split('.');
  const nano = Number(whole) * NANO_USD_PER_USD + Number(fraction.padEnd(9, '0'));
  if (!Number.isSafeInteger(nano))
    throw new RangeError(`${text} USD does not fit nano-USD exactly`);
  return nano;
}

/** Nano-USD as a USD decimal string with 6 fractional digits at most, rounded up. */
export function nanoToUsd(nano: number): string {
  const micro = Math.ceil(nano / 1000);
  const whole = Math.floor(micro / 1_000_000);
  const fraction = String(micro % 1_000_000)
    .padStart(6, '0')
    .replace(/0+$/, '');
  return fraction === '' ? String(whole) : `${whole}.${fraction}`;
}
