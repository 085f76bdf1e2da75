import { StringDecoder } from 'node:string_decoder';
import { Pool, errors as undiciErrors } from 'undici';
import type { Dispatcher } from 'undici';
import type { ApiError } from '../../errors/api-error.ts';
import { ProviderError, fromUpstreamFailure, toUpstreamError } from '../upstream-error.ts';
import type { WireChunk } from './stream.ts';

/**
 * The HTTP path of the OpenAI-format chat stream without the SDK: one undici pool per provider
 * instance (the registry keeps one per target identity), the body written once, the SSE answer
 * split on blank lines and parsed here. Error answers map exactly as the SDK's errors do through
 * `fromSdkError` (same status, type, code, message and headers), so the closed vocabulary is
 * the same whichever path a call took.
 */
export interface ChatHttp {
  /** Posts the chat request; the answer's events, or an error in the closed vocabulary. */
  chat(body: unknown, signal: AbortSignal): Promise<AsyncIterable<WireChunk>>;
  /** Posts a non-streamed chat request; the answer's JSON body, or an error in the vocabulary. */
  complete(body: unknown, signal: AbortSignal): Promise<unknown>;
}

/** The SDK's own limit to the response headers; the router bounds everything after. */
const HEADERS_TIMEOUT_MS = 10 * 60_000;

export function createChatHttp(options: {
  provider: string;
  baseURL: string;
  apiKey: string;
}): ChatHttp {
  const base = new URL(options.baseURL);
  const path = `${base.pathname.replace(/\/+$/, '')}/chat/completions${base.search}`;
  let pool: Pool | undefined;
  const headers = {
    authorization: `Bearer ${options.apiKey}`,
    'content-type': 'application/json',
    accept: 'application/json',
  };
  const { provider } = options;
  /** Posts `body`; a 2xx answer, or the error an HTTP error answer maps to. */
  const post = async (body: unknown, signal: AbortSignal): Promise<Dispatcher.ResponseData> => {
    pool ??= new Pool(base.origin, {
      headersTimeout: HEADERS_TIMEOUT_MS,
      bodyTimeout: HEADERS_TIMEOUT_MS,
    });
    let answer: Dispatcher.ResponseData;
    try {
      answer = await pool.request({
        method: 'POST',
        path,
        headers,
        body: JSON.stringify(body),
        signal,
      });
    } catch (error) {
      throw beforeAnswer(error, provider, signal);
    }
    if (answer.statusCode < 200 || answer.statusCode >= 300) {
      throw await errorAnswer(answer, provider);
    }
    return answer;
  };
  return {
    async chat(body, signal) {
      return sseEvents(await post(body, signal), provider);
    },
    async complete(body, signal) {
      const answer = await post(body, signal);
      let json: unknown;
      try {
        json = await answer.body.json();
      } catch (error) {
        if (signal.aborted) throw toUpstreamError(signal.reason ?? error);
        throw new SyntaxError('Error reading response: the body is not JSON.');
      }
      const error = errorIn(json);
      if (error !== undefined) throw bodyError(provider, error, answer);
      return json;
    },
  };
}

/** A failure before any answer, as the SDK's connection errors map. */
function beforeAnswer(error: unknown, provider: string, signal: AbortSignal): ApiError {
  if (signal.aborted) return toUpstreamError(signal.reason ?? error);
  if (error instanceof undiciErrors.HeadersTimeoutError) {
    return new ProviderError('UPSTREAM_TIMEOUT', `Provider ${provider} did not answer in time.`, {
      details: { provider },
      cause: error,
    });
  }
  return new ProviderError('UPSTREAM_UNAVAILABLE', `Provider ${provider} could not be reached.`, {
    details: { provider },
    cause: error,
  });
}

/** An HTTP error answer, read the way the SDK's `APIError.generate` reads it. */
async function errorAnswer(answer: Dispatcher.ResponseData, provider: string): Promise<ApiError> {
  const status = answer.statusCode;
  let text = '';
  try {
    text = await answer.body.text();
  } catch {
    // The body is optional: status and headers decide.
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const error = asRecord(json)?.['error'];
  return mapWireError(
    provider,
    status,
    error,
    sdkMessage(status, error, json === undefined ? text : undefined),
    toHeaders(answer.headers),
  );
}

/** The `error` of a 2xx answer's payload, when the SDK would treat it as one (any truthy value). */
function errorIn(payload: unknown): unknown {
  const error = asRecord(payload)?.['error'];
  return error === undefined || error === null || error === false || error === '' || error === 0
    ? undefined
    : error;
}

/** An error carried in a 2xx answer's body (a JSON answer, or an SSE event), as the SDK maps it. */
function bodyError(provider: string, wire: unknown, answer: Dispatcher.ResponseData): ApiError {
  return mapWireError(
    provider,
    undefined,
    wire,
    sdkMessage(undefined, wire, undefined),
    toHeaders(answer.headers),
  );
}

/** `fromSdkError`'s reading of an SDK `APIError` with this status, error object and headers. */
function mapWireError(
  provider: string,
  status: number | undefined,
  error: unknown,
  message: string,
  headers: Headers | undefined,
): ApiError {
  const body = asRecord(error);
  const inner = asRecord(body?.['error']) ?? body;
  return fromUpstreamFailure({
    provider,
    status,
    type: stringOf(inner?.['type']),
    code: stringOf(inner?.['code']),
    message: stringOf(inner?.['message']) ?? message,
    headers,
    cause: error,
  });
}

/** The SDK's `APIError.makeMessage`. */
function sdkMessage(status: number | undefined, error: unknown, text: string | undefined): string {
  const record = asRecord(error);
  const inner = record?.['message'];
  const said =
    inner !== undefined && inner !== null && inner !== '' && inner !== 0 && inner !== false
      ? typeof inner === 'string'
        ? inner
        : JSON.stringify(inner)
      : error !== undefined && error !== null && error !== '' && error !== 0 && error !== false
        ? JSON.stringify(error)
        : text;
  if (status !== undefined && said !== undefined && said !== '') return `${status} ${said}`;
  if (status !== undefined) return `${status} status code (no body)`;
  if (said !== undefined && said !== '') return said;
  return '(no status code or body)';
}

function toHeaders(raw: Dispatcher.ResponseData['headers']): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.append(name, value);
  }
  return headers;
}

/**
 * The SSE answer's JSON events, as the SDK's `Stream.fromSSEResponse` yields them: `[DONE]`
 * ends them, an `error` event or a payload with `error` throws the provider's error, a payload
 * that is not JSON throws. The body is read to its end so the connection goes back to the pool.
 */
async function* sseEvents(
  answer: Dispatcher.ResponseData,
  provider: string,
): AsyncGenerator<WireChunk> {
  const body = answer.body;
  const decoder = new StringDecoder('utf8');
  let buffer = '';
  let finished = false;
  try {
    for await (const bytes of body as AsyncIterable<Buffer>) {
      if (finished) continue;
      const piece = decoder.write(bytes);
      buffer = buffer === '' ? piece : buffer + piece;
      if (buffer.includes('\r')) buffer = buffer.replace(/\r\n?/g, '\n');
      let start = 0;
      for (;;) {
        const end = buffer.indexOf('\n\n', start);
        if (end === -1) break;
        const event = parseEvent(buffer, start, end);
        start = end + 2;
        if (event === undefined) continue;
        if (event.data === '[DONE]') {
          finished = true;
          break;
        }
        const data = parseData(event.data);
        const error = errorIn(data);
        if (event.event === 'error') throw bodyError(provider, error ?? data, answer);
        if (error !== undefined) throw bodyError(provider, error, answer);
        yield data as WireChunk;
      }
      buffer = finished ? '' : buffer.slice(start);
    }
  } finally {
    if (!body.readableEnded) body.destroy();
  }
}

interface SseEvent {
  event: string | undefined;
  data: string;
}

/** One event's `event:` and `data:` fields (data lines joined by newlines); undefined if none. */
function parseEvent(buffer: string, start: number, end: number): SseEvent | undefined {
  let event: string | undefined;
  let data: string | undefined;
  let lineStart = start;
  while (lineStart < end) {
    let lineEnd = buffer.indexOf('\n', lineStart);
    if (lineEnd === -1 || lineEnd > end) lineEnd = end;
    const line = buffer.slice(lineStart, lineEnd);
    lineStart = lineEnd + 1;
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data = data === undefined ? value : `${data}\n${value}`;
    else if (field === 'event') event = value;
  }
  if (data === undefined && event === undefined) return undefined;
  return { event, data: data ?? '' };
}

function parseData(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    throw new SyntaxError('Error reading response: malformed server-sent event JSON.');
  }
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)
    : undefined;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
