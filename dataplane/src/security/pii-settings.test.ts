import { describe, expect, it } from 'vitest';
import { GatewaySettings } from '../../../crds/gateway-settings.ts';
import { parseWith } from '../config/validate.ts';
import { piiFor } from './pii-settings.ts';

const safetyOf = (safety: unknown) =>
  parseWith(GatewaySettings, { auth: { issuer: 'i', audience: 'a' }, safety }, 'gateway.yaml')
    .safety;

describe("a tenant's PII policy", () => {
  it('is the one string of the original form for every tenant', () => {
    expect(piiFor(safetyOf({ pii: 'block' }), 'acme')).toEqual({
      policies: 'block',
      options: { phoneRegions: ['ES'] },
    });
  });

  it("is the gateway's kinds with the tenant's kinds over them", () => {
    const safety = safetyOf({
      pii: {
        kinds: { email: 'off', iban: 'block' },
        tenants: { acme: { kinds: { email: 'block' } } },
      },
      phoneRegions: ['US'],
    });
    expect(piiFor(safety, 'acme')).toEqual({
      policies: { default: 'redact', kinds: { email: 'block', iban: 'block' } },
      options: { phoneRegions: ['US'] },
    });
    expect(piiFor(safety, 'other').policies).toEqual({
      default: 'redact',
      kinds: { email: 'off', iban: 'block' },
    });
  });

  it('is its own, without the gateway kinds, when the tenant names a default', () => {
    const safety = safetyOf({
      pii: {
        kinds: { iban: 'block' },
        tenants: { lab: { default: 'off', kinds: { jwt: 'redact' }, phoneRegions: ['GB'] } },
      },
    });
    expect(piiFor(safety, 'lab')).toEqual({
      policies: { default: 'off', kinds: { jwt: 'redact' } },
      options: { phoneRegions: ['GB'] },
    });
  });

  it('collapses to one string when no kind differs from the default', () => {
    const safety = safetyOf({ pii: { default: 'block', kinds: { email: 'block' } } });
    expect(piiFor(safety).policies).toBe('block');
  });

  it('is the same object on the second look-up of the same settings', () => {
    const safety = safetyOf({ pii: { kinds: { email: 'off' } } });
    expect(piiFor(safety, 'acme')).toBe(piiFor(safety, 'acme'));
  });
});
