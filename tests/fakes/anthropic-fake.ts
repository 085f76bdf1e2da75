/**
 * A fake of Anthropic's Messages API: the SSE event set as Anthropic writes it
 * (`event: <type>\ndata: {json}\n\n`: message_start, content_block_start, ping,
 * content_block_delta, content_block_stop, message_delta, message_stop, and `error`), its error
 * bodies (`{"type":"error","error":{type, message}}`) and status codes, 529 included. By default
 * it answers "anthropic: <last user text>", one word per delta.
 */
import {
  FakeServer,
  lastUserText,
  type FakeServerOptions,
  type RecordedRequest,
  type Reply,
} from './fake-server.ts';

const HEADERS = {
  'request-id': 'req_fakeanthropic01',
  'anthropic-organization-id': '00000000-0000-0000-0000-000000000000',
  'anthropic-ratelimit-requests-remaining': '49',
};

export interface MessageOptions {
  model?: string;
  stop?: 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal';
  toolUses?: { id: string; name: string; json: string[] }[];
  usage?: { input: number; output: number; cacheRead?: number; cacheWrite?: number };
  /** Write a ping after message_start (Anthropic does, and may at any point). @default true */
  ping?: boolean;
}

const event = (type: string, data: object) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

/** The SSE frames of one streamed message. */
export function messageEvents(words: readonly string[], options: MessageOptions = {}): string[] {
  const usage = options.usage ?? { input: 12, output: words.length };
  const frames = [
    event('message_start', {
      message: {
        id: 'msg_fake01',
        type: 'message',
        role: 'assistant',
        model: options.model ?? 'claude-fake',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: usage.input,
          cache_creation_input_tokens: usage.cacheWrite ?? 0,
          cache_read_input_tokens: usage.cacheRead ?? 0,
          output_tokens: 1,
          service_tier: 'standard',
        },
      },
    }),
  ];
  let index = 0;
  if (words.length > 0) {
    frames.push(event('content_block_start', { index, content_block: { type: 'text', text: '' } }));
    if (options.ping ?? true) frames.push(event('ping', {}));
    for (const word of words) {
      frames.push(
        event('content_block_delta', { index, delta: { type: 'text_delta', text: word } }),
      );
    }
    frames.push(event('content_block_stop', { index }));
    index++;
  }
  for (const tool of options.toolUses ?? []) {
    frames.push(
      event('content_block_start', {
        index,
        content_block: { type: 'tool_use', id: tool.id, name: tool.name, input: {} },
      }),
    );
    for (const json of tool.json) {
      frames.push(
        event('content_block_delta', {
          index,
          delta: { type: 'input_json_delta', partial_json: json },
        }),
      );
    }
    frames.push(event('content_block_stop', { index }));
    index++;
  }
  frames.push(
    event('message_delta', {
      delta: {
        stop_reason: options.stop ?? (options.toolUses ? 'tool_use' : 'end_turn'),
        stop_sequence: null,
      },
      usage: { output_tokens: usage.output },
    }),
  );
  frames.push(event('message_stop', {}));
  return frames;
}

export function messageStream(
  words: readonly string[],
  options: MessageOptions & { gapMs?: number } = {},
): Reply {
  return {
    kind: 'sse',
    frames: messageEvents(words, options),
    headers: HEADERS,
    gapMs: options.gapMs ?? 0,
  };
}

export function anthropicError(
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): Reply {
  return {
    kind: 'json',
    status,
    body: { type: 'error', error: { type, message }, request_id: 'req_fakeanthropic01' },
    headers: { ...HEADERS, ...headers },
  };
}

export const ANTHROPIC_ERRORS = {
  invalidRequest: anthropicError(
    400,
    'invalid_request_error',
    'messages: roles must alternate between "user" and "assistant"',
  ),
  promptTooLong: anthropicError(
    400,
    'invalid_request_error',
    'prompt is too long: 210000 tokens > 200000 maximum',
  ),
  authentication: anthropicError(401, 'authentication_error', 'invalid x-api-key'),
  permission: anthropicError(
    403,
    'permission_error',
    'Your API key does not have permission to use the specified resource.',
  ),
  notFound: anthropicError(404, 'not_found_error', 'model: claude-nope'),
  tooLarge: anthropicError(
    413,
    'request_too_large',
    'Request exceeds the maximum allowed number of bytes.',
  ),
  rateLimited: (retryAfterS: number) =>
    anthropicError(
      429,
      'rate_limit_error',
      'Number of request tokens has exceeded your per-minute rate limit.',
      {
        'retry-after': String(retryAfterS),
      },
    ),
  api: anthropicError(500, 'api_error', 'Internal server error'),
  overloaded: anthropicError(529, 'overloaded_error', 'Overloaded'),
};

/** An `error` event mid-stream, as Anthropic sends one when it is overloaded. */
export const OVERLOADED_EVENT = `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })}\n\n`;

/** @param options `tls`: serve HTTPS (and require client certificates) as FakeServerOptions says. */
export function createAnthropicFake(options: FakeServerOptions = {}): Promise<FakeServer> {
  const answer = (request: RecordedRequest): Reply => {
    if (request.path !== '/v1/messages')
      return anthropicError(404, 'not_found_error', `Not Found: ${request.path}`);
    const words = `anthropic: ${lastUserText(request.body)}`.split(' ');
    return messageStream(words.map((word, index) => (index === 0 ? word : ` ${word}`)));
  };
  return new FakeServer(answer, options).start();
}
