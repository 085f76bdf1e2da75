import type { CountryCode } from 'libphonenumber-js/max';
import type { GatewaySettings } from '../../../crds/gateway-settings.ts';
import type { PiiPolicies, PiiPolicy } from './pii.ts';
import type { PiiKind, PiiOptions } from './pii-kinds.ts';

/** The input PII policy of one tenant, as the detectors and the audit receipt take it. */
export interface TenantPii {
  /** One policy when every kind has the same, else the default and the kinds set apart. */
  policies: PiiPolicies;
  options: Required<PiiOptions>;
}

type Safety = Pick<GatewaySettings['safety'], 'pii' | 'phoneRegions'>;

const resolved = new WeakMap<Safety, Map<string, TenantPii>>();
const resolvedOutput = new WeakMap<OutputSafety, Map<string, TenantPii>>();

type OutputSafety = Pick<GatewaySettings['safety'], 'pii' | 'piiOutput' | 'phoneRegions'>;

/**
 * `safety.piiOutput` for `tenant`, resolved per kind as {@link piiFor} resolves `safety.pii`;
 * the phone regions are the tenant's input ones.
 */
export function piiOutputFor(safety: OutputSafety, tenant = ''): TenantPii {
  let byTenant = resolvedOutput.get(safety);
  if (byTenant === undefined) {
    byTenant = new Map();
    resolvedOutput.set(safety, byTenant);
  }
  let pii = byTenant.get(tenant);
  if (pii === undefined) {
    const { policies } = resolve(
      { pii: safety.piiOutput, phoneRegions: safety.phoneRegions },
      tenant,
    );
    pii = { policies, options: piiFor(safety, tenant).options };
    byTenant.set(tenant, pii);
  }
  return pii;
}

/**
 * `safety.pii` and `safety.phoneRegions` for `tenant`: for a kind, the tenant's `kinds` entry,
 * else its `default`, else the gateway's `kinds` entry, else its `default` (a tenant that names
 * a default has a policy of its own); the tenant's `phoneRegions` replace the gateway's. The
 * string form of `safety.pii` is the default of every kind, for every tenant. Kept per settings
 * object: the hot path is two lookups.
 */
export function piiFor(safety: Safety, tenant = ''): TenantPii {
  let byTenant = resolved.get(safety);
  if (byTenant === undefined) {
    byTenant = new Map();
    resolved.set(safety, byTenant);
  }
  let pii = byTenant.get(tenant);
  if (pii === undefined) {
    pii = resolve(safety, tenant);
    byTenant.set(tenant, pii);
  }
  return pii;
}

function resolve(
  {
    pii,
    phoneRegions,
  }: { pii: Safety['pii'] | OutputSafety['piiOutput']; phoneRegions: Safety['phoneRegions'] },
  tenant: string,
): TenantPii {
  if (typeof pii === 'string') {
    return { policies: pii, options: { phoneRegions: phoneRegions as CountryCode[] } };
  }
  const own = Object.hasOwn(pii.tenants, tenant) ? pii.tenants[tenant] : undefined;
  const fallback = own?.default ?? pii.default;
  const kinds = (
    own?.default === undefined ? { ...pii.kinds, ...own?.kinds } : { ...own.kinds }
  ) as Partial<Record<PiiKind, PiiPolicy>>;
  const apart = Object.entries(kinds).filter(([, policy]) => policy !== fallback);
  return {
    policies:
      apart.length === 0 ? fallback : { default: fallback, kinds: Object.fromEntries(apart) },
    options: {
      phoneRegions: ((own !== undefined && 'phoneRegions' in own ? own.phoneRegions : undefined) ??
        phoneRegions) as CountryCode[],
    },
  };
}
