/**
 * The one door to the Kubernetes API. Requests go through one keep-alive HTTPS agent, so
 * thousands of reconciles reuse a handful of connections. Every request is checked against the
 * RBAC table before it is sent, and counted by verb and resource (writes separately).
 */
import { Agent, request as httpsRequest } from 'node:https';
import { request as httpRequest, Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { TokenBucket } from './backoff.ts';
import type { Credentials } from './credentials.ts';
import type { OperatorMetrics } from './metrics.ts';
import type { KubeList, KubeObject } from './objects.ts';
import { resourcePath, type ResourceType } from './resources.ts';
import { recordUse, type Verb } from './rbac.ts';

/** A failed API request: the HTTP status, the API server's reason and message. */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;

  constructor(code: number, reason: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.reason = reason;
  }
}

export const isNotFound = (err: unknown): boolean => err instanceof ApiError && err.code === 404;
export const isConflict = (err: unknown): boolean => err instanceof ApiError && err.code === 409;

export interface KubeClientOptions {
  metrics: OperatorMetrics;
  /** Steady requests per second (watches excluded). @default 50 */
  qps?: number;
  /** Requests allowed at once above qps. @default 100 */
  burst?: number;
  /** Field manager of every apply. */
  fieldManager: string;
}

interface RequestSpec {
  verb: Verb;
  type: ResourceType;
  subresource?: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
}

const WRITE_VERBS: ReadonlySet<Verb> = new Set(['create', 'update', 'patch', 'delete']);

export class KubeClient {
  readonly #credentials: Credentials;
  readonly #metrics: OperatorMetrics;
  readonly #bucket: TokenBucket;
  readonly #fieldManager: string;
  readonly #agent: Agent | HttpAgent;

  constructor(credentials: Credentials, options: KubeClientOptions) {
    this.#credentials = credentials;
    this.#metrics = options.metrics;
    this.#bucket = new TokenBucket(options.qps ?? 50, options.burst ?? 100);
    this.#fieldManager = options.fieldManager;
    // No socket limit: watches hold one each, and reconciles are already bounded by the work
    // queues' concurrency and the token bucket.
    this.#agent =
      credentials.server.protocol === 'http:'
        ? new HttpAgent({ keepAlive: true })
        : new Agent({ keepAlive: true, ...credentials.tls });
  }

  get fieldManager(): string {
    return this.#fieldManager;
  }

  /** Closes idle connections; in-flight requests finish. */
  close(): void {
    this.#agent.destroy();
  }

  // --- typed verbs ------------------------------------------------------------------------

  async list<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    query: { labelSelector?: string; limit?: number; continue?: string } = {},
  ): Promise<KubeList<T>> {
    return this.#json<KubeList<T>>({
      verb: 'list',
      type,
      method: 'GET',
      path: resourcePath(type, namespace),
      query: {
        labelSelector: query.labelSelector,
        limit: query.limit === undefined ? undefined : String(query.limit),
        continue: query.continue,
      },
    });
  }

  async get<T extends KubeObject>(type: ResourceType, namespace: string, name: string): Promise<T> {
    return this.#json<T>({
      verb: 'get',
      type,
      method: 'GET',
      path: resourcePath(type, namespace, name),
    });
  }

  async create<T extends KubeObject>(
    type: ResourceType,
    namespace: string,
    body: KubeObject,
  ): Promise<T> {
    return this.#json<T>({
      verb: 'create',
      type,
      method: 'POST',
      path: resourcePath(type, namespace),
      body,
    });
  }

  /** PUT with the object's resourceVersion: fails with 409 when someone wrote in between. */
  async replace<T extends KubeObject>(type: ResourceType, body: KubeObject): Promise<T> {
    const { namespace = '', name } = body.metadata;
    return this.#json<T>({
      verb: 'update',
      type,
      method: 'PUT',
      path: resourcePath(type, namespace, name),
      body,
    });
  }

  /**
   * Server-side apply with the operator's field manager, forcing conflicts: the operator owns
   * what it renders, and a hand edit of one of its fields is taken back.
   */
  async apply<T extends KubeObject>(
    type: ResourceType,
    body: KubeObject,
    subresource?: string,
  ): Promise<T> {
    const { namespace = '', name } = body.metadata;
    // An apply that creates the object is authorised as create as well as patch.
    if (subresource === undefined) recordUse(type, 'create');
    return this.#json<T>({
      verb: 'patch',
      type,
      method: 'PATCH',
      path: resourcePath(type, namespace, name, subresource),
      ...(subresource === undefined ? {} : { subresource }),
      query: { fieldManager: this.#fieldManager, force: 'true' },
      body,
      contentType: 'application/apply-patch+yaml',
    });
  }

  async delete(
    type: ResourceType,
    namespace: string,
    name: string,
    preconditions?: { uid?: string | undefined },
  ): Promise<void> {
    await this.#json({
      verb: 'delete',
      type,
      method: 'DELETE',
      path: resourcePath(type, namespace, name),
      body: {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        propagationPolicy: 'Background',
        ...(preconditions?.uid === undefined ? {} : { preconditions: { uid: preconditions.uid } }),
      },
    });
  }

  /**
   * Opens a watch and resolves with its response stream (newline-delimited JSON events).
   * Watches bypass the rate limit: they are long-lived and few.
   */
  async watch(
    type: ResourceType,
    namespace: string | undefined,
    query: Record<string, string | undefined>,
    signal: AbortSignal,
  ): Promise<IncomingMessage> {
    recordUse(type, 'watch');
    const response = await this.#send(
      {
        verb: 'watch',
        type,
        method: 'GET',
        path: resourcePath(type, namespace),
        query: { ...query, watch: 'true' },
      },
      signal,
    );
    this.#count('watch', type, response.statusCode ?? 0);
    if (response.statusCode !== 200) throw await toApiError(response);
    return response;
  }

  // --- plumbing ---------------------------------------------------------------------------

  async #json<T>(spec: RequestSpec): Promise<T> {
    recordUse(spec.type, spec.verb, spec.subresource);
    await this.#bucket.take();
    const response = await this.#send(spec);
    const code = response.statusCode ?? 0;
    this.#count(spec.verb, spec.type, code);
    if (code < 200 || code >= 300) throw await toApiError(response);
    const text = await readBody(response);
    return (text === '' ? {} : JSON.parse(text)) as T;
  }

  #count(verb: Verb, type: ResourceType, code: number): void {
    this.#metrics.apiRequests.inc({ verb, resource: type.plural, code: String(code) });
    if (WRITE_VERBS.has(verb) && code >= 200 && code < 300) {
      this.#metrics.apiWrites.inc({ verb, resource: type.plural });
    }
  }

  async #send(spec: RequestSpec, signal?: AbortSignal): Promise<IncomingMessage> {
    const headers = await this.#credentials.headers();
    const agent = this.#agent;
    const url = new URL(spec.path, this.#credentials.server);
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, value);
    }
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, {
        method: spec.method,
        agent,
        headers: {
          ...headers,
          Accept: 'application/json',
          ...(body === undefined
            ? {}
            : {
                'Content-Type': spec.contentType ?? 'application/json',
                'Content-Length': Buffer.byteLength(body),
              }),
        },
        ...(signal === undefined ? {} : { signal }),
      });
      req.on('response', resolve);
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }
}

async function readBody(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function toApiError(response: IncomingMessage): Promise<ApiError> {
  const code = response.statusCode ?? 0;
  const text = await readBody(response).catch(() => '');
  try {
    const status = JSON.parse(text) as { reason?: string; message?: string };
    return new ApiError(code, status.reason ?? 'Unknown', status.message ?? text);
  } catch {
    return new ApiError(code, 'Unknown', text === '' ? `HTTP ${code}` : text);
  }
}
