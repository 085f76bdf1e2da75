/**
 * Pieces every kind of `inference.enis.io/v1alpha1` shares: API coordinates, the condition
 * schema (apimachinery's metav1.Condition), references to Secrets and ConfigMaps, quantities,
 * and the typed object envelope the operator and the dataplane read.
 */
import {
  Type,
  type ObjectOptions,
  type SchemaOptions,
  type Static,
  type TLiteral,
  type TObject,
  type TProperties,
  type TUnion,
} from '@sinclair/typebox';

export const GROUP = 'inference.enis.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const CATEGORY = 'inference';

/** RFC 1123 label: what Kubernetes accepts as a Service or label-safe name. */
export const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** RFC 1123 subdomain: what Kubernetes accepts as an object name (Secret, ConfigMap). */
export const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** A public model alias: lowercase letters, digits, `-` and `.`, starting and ending alnum. */
export const MODEL_ALIAS = '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$';
/**
 * An http(s) URL. A pattern rather than `format: uri`: TypeBox's Value.Check (the dataplane's
 * config loader) refuses formats it has no registered checker for.
 */
export const HTTP_URL = '^https?://[^\\s/?#]+[^\\s]*$';
/** A Kubernetes resource quantity such as `500m`, `2`, `1.5Gi`. */
export const QUANTITY =
  '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';

/** One CEL rule as the API server reads it from `x-kubernetes-validations`. */
export interface CelRule {
  readonly rule: string;
  /** Shown to the user when the rule fails: say what is wrong and how to fix it. */
  readonly message: string;
  /** The field the error names, relative to the schema that carries the rule. */
  readonly fieldPath?: string;
  /** FieldValueDuplicate is left out: the API server then answers "Duplicate value" alone. */
  readonly reason?: 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueForbidden';
}

/** Schema options carrying CEL rules; TypeBox passes unknown options through untouched. */
export function cel(...rules: CelRule[]): { 'x-kubernetes-validations': CelRule[] } {
  return { 'x-kubernetes-validations': rules };
}

/**
 * An object schema that refuses unknown properties: the dataplane's config loader rejects a typo
 * instead of ignoring it. (The CRD generator drops the keyword: the API server prunes instead.)
 */
export function Struct<T extends TProperties>(
  properties: T,
  options: ObjectOptions = {},
): TObject<T> {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

type Literals<T extends readonly string[]> = { -readonly [K in keyof T]: TLiteral<T[K] & string> };

/**
 * A closed set of strings. TypeBox writes it as `anyOf` of `const`s (so `Value.Check` and the
 * static type work); the CRD generator lowers it to `{type: string, enum: [...]}`.
 */
export function StringEnum<const T extends readonly [string, ...string[]]>(
  values: T,
  options: SchemaOptions = {},
): TUnion<Literals<T>> {
  // Type.Union of two or more schemas is a TUnion; map() loses the tuple, so restore it.
  const literals = values.map((value) => Type.Literal(value));
  return Type.Union(literals, options) as unknown as TUnion<Literals<T>>;
}

/**
 * An integer or a string, as Kubernetes quantities are. `pattern` constrains the string form,
 * `minimum` the integer form. The CRD generator writes it as `x-kubernetes-int-or-string`.
 */
export function IntOrString(options: SchemaOptions & { pattern: string; minimum?: number }) {
  const { pattern, minimum, ...rest } = options;
  const integer = minimum === undefined ? Type.Integer() : Type.Integer({ minimum });
  return Type.Union([integer, Type.String({ pattern, maxLength: 64 })], {
    ...rest,
    'x-kubernetes-int-or-string': true,
  });
}

/** A Kubernetes quantity (`500m`, `2Gi`, or a bare integer). */
export function Quantity(description: string) {
  return IntOrString({ pattern: QUANTITY, description });
}

export const ConditionStatus = StringEnum(['True', 'False', 'Unknown'], {
  description: 'Status of the condition: True, False or Unknown.',
});

/** apimachinery's metav1.Condition, field for field, with its validation. */
export const Condition = Struct(
  {
    type: Type.String({
      maxLength: 316,
      pattern:
        '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
      description: 'Type of condition in CamelCase, e.g. Ready.',
    }),
    status: ConditionStatus,
    observedGeneration: Type.Optional(
      Type.Integer({
        format: 'int64',
        minimum: 0,
        description:
          'The .metadata.generation the condition was set from; older than the object generation means stale.',
      }),
    ),
    lastTransitionTime: Type.String({
      format: 'date-time',
      description: 'Last time the condition flipped from one status to another (RFC 3339).',
    }),
    reason: Type.String({
      minLength: 1,
      maxLength: 1024,
      pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
      description: 'Programmatic identifier in CamelCase for the last transition.',
    }),
    message: Type.String({
      maxLength: 32768,
      description: 'Human-readable details about the last transition; may be empty.',
    }),
  },
  { description: 'One aspect of the current state of the resource.' },
);
export type Condition = Static<typeof Condition>;

/** The `status.conditions` list: a map keyed by `type`, so server-side apply merges per type. */
export function Conditions(types: readonly string[]) {
  return Type.Array(Condition, {
    maxItems: 16,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
    description: `Latest observations of the resource's state. Types: ${types.join(', ')}.`,
  });
}

export const ObservedGeneration = Type.Integer({
  format: 'int64',
  minimum: 0,
  description: 'The .metadata.generation the operator last reconciled.',
});

export const RenderedConfigChecksum = Type.String({
  pattern: '^sha256:[0-9a-f]{64}$',
  description:
    'Checksum of the config contract the operator rendered from this resource; the dataplane reports the one it serves on /readyz.',
});

export const SecretKeyRef = Struct(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 253,
      pattern: DNS_SUBDOMAIN,
      description: 'Name of a Secret in the same namespace.',
    }),
    key: Type.String({
      minLength: 1,
      maxLength: 253,
      pattern: '^[-._a-zA-Z0-9]+$',
      description: 'Key within the Secret.',
    }),
  },
  { description: 'A key of a Secret in the same namespace.' },
);
export type SecretKeyRef = Static<typeof SecretKeyRef>;

export const ConfigMapKeyRef = Struct(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 253,
      pattern: DNS_SUBDOMAIN,
      description: 'Name of a ConfigMap in the same namespace.',
    }),
    key: Type.String({
      minLength: 1,
      maxLength: 253,
      pattern: '^[-._a-zA-Z0-9]+$',
      description: 'Key within the ConfigMap.',
    }),
  },
  { description: 'A key of a ConfigMap in the same namespace.' },
);
export type ConfigMapKeyRef = Static<typeof ConfigMapKeyRef>;

/** `credentials: {secretKeyRef}`, the one way a resource names a credential. */
export function Credentials(description: string) {
  return Struct(
    {
      secretKeyRef: SecretKeyRef,
    },
    { description },
  );
}

/** The subset of ObjectMeta that the operator and the dataplane read. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A custom resource of this group as the API server returns it (defaults applied). */
export interface Resource<Kind extends string, Spec, Status> {
  apiVersion: typeof API_VERSION;
  kind: Kind;
  metadata: ObjectMeta;
  spec: Spec;
  status?: Status;
}

/** One `additionalPrinterColumns` entry. */
export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly jsonPath: string;
  readonly description: string;
  /** 0 shows in `kubectl get`; 1 only with `-o wide`. @default 0 */
  readonly priority?: number;
}

/** Everything the CRD generator and the API reference need to know about one kind. */
export interface KindDescriptor<Spec extends TObject = TObject, Status extends TObject = TObject> {
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  /** One paragraph: what an instance of the kind is; becomes the CRD's top description. */
  readonly description: string;
  /** Condition types the operator sets; `Ready` is always first. */
  readonly conditionTypes: readonly string[];
  /** Kind-specific columns; Ready, Reason and Age are appended by the generator. */
  readonly printerColumns: readonly PrinterColumn[];
  readonly spec: Spec;
  readonly status: Status;
}

/** The kebab-case file name of a kind: `MCPGateway` → `mcp-gateway`, as in crds/ and samples/. */
export function kindFileName(kind: string): string {
  return kind
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}
