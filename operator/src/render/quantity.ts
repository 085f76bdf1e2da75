/** Kubernetes resource quantities: parsing, comparing, and the memory a model needs. */

type BinarySuffix = 'Ki' | 'Mi' | 'Gi' | 'Ti' | 'Pi' | 'Ei';
type DecimalSuffix = 'n' | 'u' | 'm' | '' | 'k' | 'M' | 'G' | 'T' | 'P' | 'E';
const BINARY: Record<BinarySuffix, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<DecimalSuffix, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** The value of a quantity (`4Gi` → 4294967296, `500m` → 0.5), or undefined when it is not one. */
export function parseQuantity(quantity: string | number | undefined): number | undefined {
  if (quantity === undefined) return undefined;
  if (typeof quantity === 'number') return Number.isFinite(quantity) ? quantity : undefined;
  const match =
    /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([numkMGTPE]?)|[eE]([+-]?\d+))$/.exec(
      quantity.trim(),
    );
  if (match === null) return undefined;
  const number = Number(match[1]);
  if (match[2] !== undefined) return number * BINARY[match[2] as BinarySuffix];
  if (match[4] !== undefined) return number * 10 ** Number(match[4]);
  return number * DECIMAL[(match[3] ?? '') as DecimalSuffix];
}

/** Whether two quantities denote the same amount (`1Gi` and `1024Mi`, `2` and 2). */
export function sameQuantity(a: unknown, b: unknown): boolean {
  if (
    (typeof a !== 'string' && typeof a !== 'number') ||
    (typeof b !== 'string' && typeof b !== 'number')
  )
    return false;
  const x = parseQuantity(a);
  const y = parseQuantity(b);
  if (x === undefined || y === undefined) return false;
  return Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x), Math.abs(y));
}

/** Bytes as a binary-suffixed quantity when exact (`4Gi`), else plain bytes. */
export function formatBytes(bytes: number): string {
  for (const suffix of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const) {
    const unit = BINARY[suffix];
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit}${suffix}`;
  }
  return String(bytes);
}

/** Human-readable bytes for messages: `3.75 GiB`. */
export function describeBytes(bytes: number): string {
  for (const [suffix, unit] of [
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const) {
    if (bytes >= unit) return `${Number((bytes / unit).toFixed(2))} ${suffix}`;
  }
  return `${bytes} B`;
}

/** What a model needs per replica: modelBytes × headroomFactor, and the limit it gets. */
export interface ModelMemory {
  /** Bytes needed per replica, rounded up. */
  needed: number;
  /** The memory limit in bytes, when one is set. */
  limit: number | undefined;
}

export interface ResourceList {
  cpu?: string | number;
  memory?: string | number;
}

export function modelMemory(spec: {
  modelBytes: number;
  headroomFactor?: number;
  resources?: { limits?: ResourceList };
}): ModelMemory {
  const needed = Math.ceil(spec.modelBytes * (spec.headroomFactor ?? 1.3));
  return { needed, limit: parseQuantity(spec.resources?.limits?.memory) };
}

/**
 * The container's resources: as the resource says, with the memory request defaulting to what
 * the model needs (the scheduler then reserves it). Quantities are rendered as strings.
 */
export function memoryRequestFor(
  resources: { requests?: ResourceList; limits?: ResourceList } | undefined,
  memory: ModelMemory,
): { requests: Record<string, string>; limits?: Record<string, string> } {
  const asStrings = (list: ResourceList | undefined): Record<string, string> =>
    Object.fromEntries(Object.entries(list ?? {}).map(([k, v]) => [k, String(v)]));
  const requests = asStrings(resources?.requests);
  requests['memory'] ??= formatBytes(memory.needed);
  const limits = asStrings(resources?.limits);
  return Object.keys(limits).length === 0 ? { requests } : { requests, limits };
}
