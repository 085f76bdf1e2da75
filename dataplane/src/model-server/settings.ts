/**
 * The model server's settings, from the environment the operator renders into the pod
 * (operator/src/render/model-server.ts: HOST, PORT, MODEL_*). Every number has a default and
 * a bad value is an error naming the variable, never a silent fallback.
 */
import type { ModelSpec } from './model-source.ts';
import type { ModelServerTlsSettings } from './tls.ts';

export interface ModelServerSettings {
  host: string;
  port: number;
  /** The InferenceModel's name, listed by `/v1/models`. */
  modelName: string;
  /** The version to load at start; absent when MODEL_SPEC_FILE names it instead. */
  model: ModelSpec | undefined;
  /** Answers generated at once; more wait in the queue. @default 4 */
  maxConcurrency: number;
  /** Requests that may wait; one more is refused with OVERLOADED. @default 64 */
  maxQueue: number;
  /** How long a request may wait in the queue. @default 30000 */
  queueTimeoutMs: number;
  /** A dual-load needs free memory ≥ the new model's bytes × this. @default 1.3 */
  headroomFactor: number;
  /** After a switch, the old version stays loaded this long, ready to swap back. @default 30 */
  rollbackWindowS: number;
  /** Swap back when failed answers exceed this share within the window. @default 0.5 */
  rollbackErrorRate: number;
  /** ... counted once the new version has given at least this many answers. @default 5 */
  rollbackMinRequests: number;
  /** A JSON file with the desired ModelSpec: a change to it swaps the model. */
  specFile: string | undefined;
  /** Bearer token of the admin endpoints (`/admin/*`); they are off without one. */
  adminToken: string | undefined;
  /** On SIGTERM, in-flight answers get this long to finish before the process exits. @default 25 */
  drainTimeoutS: number;
  /**
   * HTTPS with client certificates (model-server/tls.ts): MODEL_TLS_DIR, a Secret volume in
   * cert-manager's layout, and MODEL_TLS_CLIENT_CERTIFICATES (`required`, the default, or
   * `optional`). Unset: plain HTTP.
   */
  tls: ModelServerTlsSettings | undefined;
}

export function modelServerSettings(env: NodeJS.ProcessEnv): ModelServerSettings {
  const text = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value === '' ? undefined : value;
  };
  const number = (name: string, fallback: number, min: number, max: number): number => {
    const value = text(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < min || parsed > max)
      throw new Error(`${name}=${value} is not a number from ${min} to ${max}.`);
    return parsed;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const value = number(name, fallback, min, max);
    if (!Number.isInteger(value)) throw new Error(`${name}=${String(value)} is not an integer.`);
    return value;
  };
  const uri = text('MODEL_URI');
  if (uri === undefined && text('MODEL_SPEC_FILE') === undefined)
    throw new Error('MODEL_URI (or MODEL_SPEC_FILE) is required: the model to serve.');
  const task = text('MODEL_TASK');
  if (task !== undefined && task !== 'chat' && task !== 'embeddings')
    throw new Error(`MODEL_TASK=${task} is not chat or embeddings.`);
  const tlsDir = text('MODEL_TLS_DIR');
  const clientCertificates = text('MODEL_TLS_CLIENT_CERTIFICATES') ?? 'required';
  if (clientCertificates !== 'required' && clientCertificates !== 'optional')
    throw new Error(
      `MODEL_TLS_CLIENT_CERTIFICATES=${clientCertificates} is not required or optional.`,
    );
  if (tlsDir === undefined && text('MODEL_TLS_CLIENT_CERTIFICATES') !== undefined)
    throw new Error('MODEL_TLS_CLIENT_CERTIFICATES needs MODEL_TLS_DIR.');
  const checksum = text('MODEL_CHECKSUM');
  const quantization = text('MODEL_QUANTIZATION');
  const bytes = text('MODEL_BYTES');
  return {
    host: text('HOST') ?? '127.0.0.1',
    port: integer('PORT', 8080, 0, 65_535),
    modelName: text('MODEL_NAME') ?? 'model',
    model:
      uri === undefined
        ? undefined
        : {
            uri,
            version: text('MODEL_VERSION') ?? 'v1',
            ...(checksum === undefined ? {} : { checksum }),
            ...(quantization === undefined ? {} : { quantization }),
            ...(bytes === undefined
              ? {}
              : { modelBytes: integer('MODEL_BYTES', 0, 1, Number.MAX_SAFE_INTEGER) }),
            ...(task === undefined ? {} : { task: task }),
          },
    maxConcurrency: integer('MODEL_MAX_CONCURRENCY', 4, 1, 1024),
    maxQueue: integer('MODEL_MAX_QUEUE', 64, 0, 100_000),
    queueTimeoutMs: integer('MODEL_QUEUE_TIMEOUT_MS', 30_000, 1, 3_600_000),
    headroomFactor: number('MODEL_HEADROOM_FACTOR', 1.3, 1, 100),
    rollbackWindowS: number('MODEL_ROLLBACK_WINDOW_S', 30, 0, 86_400),
    rollbackErrorRate: number('MODEL_ROLLBACK_ERROR_RATE', 0.5, 0, 1),
    rollbackMinRequests: integer('MODEL_ROLLBACK_MIN_REQUESTS', 5, 1, 1_000_000),
    specFile: text('MODEL_SPEC_FILE'),
    adminToken: text('MODEL_ADMIN_TOKEN'),
    drainTimeoutS: number('MODEL_DRAIN_TIMEOUT_S', 25, 0, 86_400),
    tls: tlsDir === undefined ? undefined : { dir: tlsDir, clientCertificates },
  };
}
