/**
 * `safety.pii` and `safety.phoneRegions` in gateway.yaml: what input PII policy applies to
 * which kind of personal data, for the gateway and per tenant (docs/safety.md). Regions are
 * shaped here; the config loader refuses one libphonenumber-js has no metadata for
 * (dataplane/src/config/safety-check.ts).
 */
import { Type, type Static } from '@sinclair/typebox';

/**
 * Every kind of personal data or secret the detectors (dataplane/src/security/pii-*) find, in
 * no particular order. `ssn` is a US Social Security number, `dni` and `nie` Spanish identity
 * numbers, `nino` the UK National Insurance number, `nir` the French INSEE number, `steuer_id`
 * the German tax id, `codice_fiscale` the Italian one, `nif` the Portuguese one and `cpf` the
 * Brazilian one. `api_key` is a provider key recognised by its published prefix, `secret` a
 * high-entropy value after a key-ish word (`api_key=`, `token:`, `password ...`).
 */
export const PII_KINDS = [
  'email',
  'iban',
  'credit_card',
  'ssn',
  'nie',
  'dni',
  'nino',
  'nir',
  'steuer_id',
  'codice_fiscale',
  'nif',
  'cpf',
  'ipv6',
  'ipv4',
  'phone',
  'private_key',
  'jwt',
  'api_key',
  'secret',
] as const;

const POLICY =
  'off (left as sent), redact (replaced by [REDACTED:<kind>]) or block (CONTENT_BLOCKED naming the kinds).';

export const PiiPolicy = Type.Union(
  [Type.Literal('off'), Type.Literal('redact'), Type.Literal('block')],
  { description: POLICY },
);
export type PiiPolicy = Static<typeof PiiPolicy>;

/** A region code as libphonenumber-js names it (ISO 3166-1 alpha-2, `001` none). */
const Region = Type.String({ pattern: '^[A-Z]{2}$' });

/** National-format phone numbers count for these regions; `+` or `00` numbers for their own. */
const PHONE_REGIONS = {
  minItems: 1,
  maxItems: 32,
  description:
    'Regions whose national phone formats are detected (a number with + or an international prefix is validated for its own country whatever this says).',
};
const PhoneRegions = Type.Array(Region, PHONE_REGIONS);

/** `safety.phoneRegions`: the gateway's regions. */
export const GatewayPhoneRegions = Type.Array(Region, { ...PHONE_REGIONS, default: ['ES'] });

const KINDS =
  'Policy per PII kind (docs/safety.md lists the kinds); a kind not named takes default.';
const Kinds = Type.Partial(
  Type.Record(Type.Union(PII_KINDS.map((kind) => Type.Literal(kind))), PiiPolicy),
  { additionalProperties: false, description: KINDS },
);

/** A tenant's departures from the gateway's policy. */
const PiiTenant = Type.Object(
  {
    default: Type.Optional(PiiPolicy),
    kinds: Type.Optional(Kinds),
    phoneRegions: Type.Optional(PhoneRegions),
  },
  { additionalProperties: false },
);
export type PiiTenant = Static<typeof PiiTenant>;

/** The object form of `safety.pii`. */
export const PiiPolicies = Type.Object(
  {
    default: Type.Union([Type.Literal('off'), Type.Literal('redact'), Type.Literal('block')], {
      default: 'redact',
      description: `What a kind not named in kinds gets: ${POLICY}`,
    }),
    kinds: Type.Partial(
      Type.Record(Type.Union(PII_KINDS.map((kind) => Type.Literal(kind))), PiiPolicy),
      { additionalProperties: false, default: {}, description: KINDS },
    ),
    tenants: Type.Record(Type.String(), PiiTenant, {
      default: {},
      description:
        "Per-tenant policy: for a kind, the tenant's kinds entry, else its default, else the gateway's kinds entry, else its default; phoneRegions replaces the gateway's.",
    }),
  },
  { additionalProperties: false },
);
export type PiiPolicies = Static<typeof PiiPolicies>;

/** `safety.pii`: one policy for every kind (the original form), or per kind and per tenant. */
export const PiiSetting = Type.Union([PiiPolicy, PiiPolicies], {
  default: 'redact',
  description: `Input PII policy: one of ${POLICY} for every kind, or {default, kinds, tenants}.`,
});
export type PiiSetting = Static<typeof PiiSetting>;

const OUTPUT_POLICY =
  'off (left as the provider wrote it), redact (replaced by [REDACTED:<kind>], streamed answers too) or block (the answer ends with CONTENT_BLOCKED naming the kinds where one appears; nothing of it is sent).';

/** A tenant's departures from the gateway's output policy (its phone regions are the input's). */
const PiiOutputTenant = Type.Object(
  { default: Type.Optional(PiiPolicy), kinds: Type.Optional(Kinds) },
  { additionalProperties: false },
);

/** The object form of `safety.piiOutput`: resolved per kind and tenant as `safety.pii` is. */
export const PiiOutputPolicies = Type.Object(
  {
    default: Type.Union([Type.Literal('off'), Type.Literal('redact'), Type.Literal('block')], {
      default: 'redact',
      description: `What a kind not named in kinds gets: ${OUTPUT_POLICY}`,
    }),
    kinds: Type.Partial(
      Type.Record(Type.Union(PII_KINDS.map((kind) => Type.Literal(kind))), PiiPolicy),
      { additionalProperties: false, default: {}, description: KINDS },
    ),
    tenants: Type.Record(Type.String(), PiiOutputTenant, {
      default: {},
      description:
        "Per-tenant output policy: for a kind, the tenant's kinds entry, else its default, else the gateway's kinds entry, else its default.",
    }),
  },
  { additionalProperties: false },
);

/** `safety.piiOutput`: one policy for every kind (the original form), or per kind and tenant. */
export const PiiOutputSetting = Type.Union([PiiPolicy, PiiOutputPolicies], {
  default: 'redact',
  description: `Output PII policy (the answer, streamed or whole, and its tool calls): one of ${OUTPUT_POLICY} for every kind, or {default, kinds, tenants}.`,
});
export type PiiOutputSetting = Static<typeof PiiOutputSetting>;
