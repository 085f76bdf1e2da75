import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { GatewaySettings } from './gateway-settings.ts';

const auth = { issuer: 'i', audience: 'a' };
const valid = (settings: object) =>
  Value.Check(GatewaySettings, Value.Default(GatewaySettings, { auth, ...settings }));

describe('safety.pii in gateway.yaml', () => {
  it('takes the original single string for every kind', () => {
    for (const pii of ['off', 'redact', 'block']) expect(valid({ safety: { pii } })).toBe(true);
    expect(valid({ safety: { pii: 'mask' } })).toBe(false);
  });

  it('takes a default, kinds and tenants, and defaults to redact for every kind', () => {
    expect(
      valid({
        safety: {
          pii: {
            kinds: { email: 'off', credit_card: 'block' },
            tenants: { acme: { default: 'block', kinds: { ipv4: 'off' }, phoneRegions: ['US'] } },
          },
          phoneRegions: ['ES', 'GB'],
        },
      }),
    ).toBe(true);
    const defaults = Value.Default(GatewaySettings, { auth }) as GatewaySettings;
    expect([defaults.safety.pii, defaults.safety.phoneRegions]).toEqual(['redact', ['ES']]);
  });

  it('refuses a kind the detectors do not know and a region that is no region code', () => {
    expect(valid({ safety: { pii: { kinds: { passport: 'block' } } } })).toBe(false);
    expect(valid({ safety: { pii: { tenants: { a: { kinds: { pasport: 'off' } } } } } })).toBe(
      false,
    );
    expect(valid({ safety: { phoneRegions: ['usa'] } })).toBe(false);
    expect(valid({ safety: { phoneRegions: [] } })).toBe(false);
  });
});

describe('sandbox in gateway.yaml', () => {
  it('names no tenant and answers with echo by default', () => {
    const defaults = Value.Default(GatewaySettings, { auth }) as GatewaySettings;
    expect(defaults.sandbox).toEqual({ tenants: [], model: 'echo' });
  });

  it('takes a mock model with options, and nothing that is not one', () => {
    for (const model of [
      'echo?gapMs=20',
      'fixed?text=Hello%20there',
      'fail?code=RATE_LIMITED',
      'stall',
    ])
      expect(valid({ sandbox: { tenants: ['play'], model } }), model).toBe(true);
    for (const model of ['gpt-4o', 'echo?x=<script>', ''])
      expect(valid({ sandbox: { tenants: ['play'], model } }), model).toBe(false);
  });
});
