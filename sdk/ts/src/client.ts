import type {
  GetApiV1AuditExportData,
  GetApiV1BatchesByBatchIdResponse,
  GetApiV1BatchesByBatchIdResultsResponse,
  PostApiV1BatchesData,
  PostApiV1InferenceData,
  PostApiV1InferenceResponse,
  PostApiV1VoiceStreamData,
} from './generated/types.gen.ts';
import { DEFAULT_RETRY, send, sleep, type RetryPolicy } from './retry.ts';
import {
  DEFAULT_POLL_MS,
  resumingStream,
  type ResumeOptions,
  type StreamEvent,
  type StreamOptions,
} from './stream.ts';
import { Bearer, type TokenSource } from './token.ts';

export type InferenceRequest = PostApiV1InferenceData['body'];
export type InferenceResponse = PostApiV1InferenceResponse;
/** One whole utterance: pcm16 as one base64 string, Opus as its raw packets, base64 each. */
export type VoiceUtterance = PostApiV1VoiceStreamData['body'];
export type BatchRequest = PostApiV1BatchesData['body'];
export type Batch = GetApiV1BatchesByBatchIdResponse;
export type BatchResult = GetApiV1BatchesByBatchIdResultsResponse['data'][number];
export type AuditExportQuery = NonNullable<GetApiV1AuditExportData['query']>;

export interface ClientOptions {
  /** The gateway, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /**
   * The bearer token (a JWT of the tenant), or a callback asked again when the gateway answers
   * 401 `UNAUTHENTICATED` (the call is then sent once more with the new token).
   */
  token: TokenSource;
  retry?: Partial<RetryPolicy> & ResumeOptions;
  /** How streams are read: the transport and the heartbeat watchdog's timeout. */
  stream?: StreamOptions;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Sent as `x-request-id` on every attempt; a fresh UUID by default. */
  requestId?: string;
}

/** A client of the gateway's native API: inference, streams, batches and the audit export. */
export class EnisClient {
  readonly #base: string;
  readonly #bearer: Bearer;
  readonly #policy: RetryPolicy & ResumeOptions;
  readonly #stream: StreamOptions;
  readonly #fetch: typeof fetch;

  constructor(options: ClientOptions) {
    this.#base = options.baseUrl.replace(/\/+$/, '');
    this.#bearer = new Bearer(options.token);
    this.#policy = { ...DEFAULT_RETRY, ...options.retry };
    this.#stream = options.stream ?? {};
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** One inference, the whole output at once. */
  async infer(request: InferenceRequest, options: CallOptions = {}): Promise<InferenceResponse> {
    const response = await this.#call('POST', '/api/v1/inference', request, options);
    return (await response.json()) as InferenceResponse;
  }

  /** One inference as a stream of text chunks, resumed automatically when it is cut. */
  async *stream(request: InferenceRequest, options: CallOptions = {}): AsyncGenerator<StreamEvent> {
    const first = await this.#call('POST', '/api/v1/inference:stream', request, options);
    yield* resumingStream(
      first,
      (token, lastEventId, pollMs) => this.#resume(token, lastEventId, options, pollMs),
      this.#policy,
      this.#stream,
      options.signal,
    );
  }

  /**
   * One recorded utterance over plain HTTP (`POST /api/v1/voice:stream`, no WebSocket): its
   * `transcript`, then its answer as the stream of `stream()`, resumed the same way. No VAD
   * runs and no session history is kept: the utterance is what the caller cut.
   */
  async *voiceStream(
    utterance: VoiceUtterance,
    options: CallOptions = {},
  ): AsyncGenerator<StreamEvent> {
    const first = await this.#call('POST', '/api/v1/voice:stream', utterance, options);
    yield* resumingStream(
      first,
      (token, lastEventId, pollMs) => this.#resume(token, lastEventId, options, pollMs),
      this.#policy,
      this.#stream,
      options.signal,
    );
  }

  /** Resumes a stream from a resume token, after event `lastEventId` (default: the token's). */
  async *resume(
    token: string,
    lastEventId?: number,
    options: CallOptions = {},
  ): AsyncGenerator<StreamEvent> {
    // In the fetch loop the first resume is a long-poll too.
    const pollMs =
      this.#stream.transport === 'poll' ? (this.#stream.pollMs ?? DEFAULT_POLL_MS) : undefined;
    const first = await this.#resume(token, lastEventId, options, pollMs);
    yield* resumingStream(
      first,
      (next, offset, pollMs) => this.#resume(next, offset, options, pollMs),
      this.#policy,
      this.#stream,
      options.signal,
    );
  }

  /** Submits a batch; the same `task_id` and payload answer the same batch. */
  async submitBatch(request: BatchRequest, options: CallOptions = {}): Promise<Batch> {
    return (await (await this.#call('POST', '/api/v1/batches', request, options)).json()) as Batch;
  }

  async getBatch(id: string, options: CallOptions = {}): Promise<Batch> {
    const path = `/api/v1/batches/${encodeURIComponent(id)}`;
    return (await (await this.#call('GET', path, undefined, options)).json()) as Batch;
  }

  /** Polls the batch until it is `completed` or `cancelled`. */
  async waitForBatch(
    id: string,
    options: CallOptions & { intervalMs?: number } = {},
  ): Promise<Batch> {
    for (;;) {
      const batch = await this.getBatch(id, options);
      if (batch.status === 'completed' || batch.status === 'cancelled') return batch;
      await sleep(options.intervalMs ?? 500, options.signal);
    }
  }

  /** Every result of a batch in item order, read `limit` (1 to 1000) a page. */
  async *batchResults(
    id: string,
    options: CallOptions & { limit?: number } = {},
  ): AsyncGenerator<BatchResult> {
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ limit: String(options.limit ?? 100) });
      if (cursor !== null) query.set('cursor', cursor);
      const path = `/api/v1/batches/${encodeURIComponent(id)}/results?${query}`;
      const response = await this.#call('GET', path, undefined, options);
      const page = (await response.json()) as GetApiV1BatchesByBatchIdResultsResponse;
      yield* page.data;
      cursor = page.next_cursor;
    } while (cursor !== null);
  }

  /**
   * The tenant's audit export (receipts between their checkpoints), one parsed NDJSON line at a
   * time; needs the scope `audit:read` (`audit:admin` for another tenant).
   */
  async *exportAudit(
    query: AuditExportQuery = {},
    options: CallOptions = {},
  ): AsyncGenerator<Record<string, unknown>> {
    const search = new URLSearchParams(query);
    const response = await this.#call('GET', `/api/v1/audit/export?${search}`, undefined, options);
    const text = await response.text();
    for (const line of text.split('\n'))
      if (line.trim() !== '') yield JSON.parse(line) as Record<string, unknown>;
  }

  async #resume(
    token: string,
    lastEventId: number | undefined,
    options: CallOptions,
    pollMs?: number,
  ): Promise<Response> {
    const headers = lastEventId === undefined ? {} : { 'last-event-id': String(lastEventId) };
    return this.#call(
      'POST',
      '/api/v1/inference:resume',
      { resume_token: token, ...(pollMs === undefined ? {} : { poll_ms: pollMs }) },
      options,
      headers,
    );
  }

  #call(
    method: string,
    path: string,
    body: unknown,
    options: CallOptions,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const requestId = options.requestId ?? crypto.randomUUID();
    return this.#bearer.refreshing((token) => {
      const init: RequestInit = {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          'x-request-id': requestId,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      };
      return send(() => this.#fetch(`${this.#base}${path}`, init), this.#policy, options.signal);
    });
  }
}
