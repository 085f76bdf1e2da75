/**
 * A fake of OpenAI's Chat Completions and Embeddings API, and of the servers that speak it
 * (Groq under `/openai/v1`, vLLM and friends under `/v1`): the same JSON, SSE frames
 * (`data: {chunk}\n\n` … `data: [DONE]\n\n`), headers and error bodies as the real service.
 * By default a chat answers "<name>: <last user text>", one word per chunk, with each word's
 * log-probability when the request asks for them (`fakeLogprob`).
 */
import {
  FakeServer,
  lastUserText,
  type FakeServerOptions,
  type RecordedRequest,
  type Reply,
} from './fake-server.ts';

export interface OpenAIFakeOptions {
  /** In answers and ids. @default 'openai' */
  name?: string;
  /** API prefix: `/v1` for OpenAI and compatible servers, `/openai/v1` for Groq. @default '/v1' */
  prefix?: string;
  /** Groq's dialect: `x_groq` on the first and last chunk, usage inside it. */
  groq?: boolean;
  /** Serve HTTPS (and require client certificates) as FakeServerOptions says. */
  tls?: FakeServerOptions['tls'];
  /** What `/audio/transcriptions` hears in any audio. @default '<name> heard you' */
  transcript?: string;
}

export interface ChunkOptions {
  model?: string;
  finish?: 'stop' | 'length' | 'tool_calls' | 'content_filter';
  toolCalls?: { id: string; name: string; arguments: string[] }[];
  usage?: { prompt: number; completion: number; cached?: number };
  groq?: boolean;
  /**
   * Answer with each word's log-probability (one token a word) and this many alternatives, as
   * OpenAI does for `logprobs: true, top_logprobs: n`; absent: `logprobs: null`.
   */
  logprobs?: number;
}

/**
 * Word `index`'s token log-probability as the fake answers it: the word itself at
 * `-0.25 · (index + 1)`, its alternatives (the word upper-cased, then with `!`, `?`, ...) one
 * nat less likely each.
 */
export function fakeLogprob(word: string, index: number, top: number) {
  const bytes = (token: string) => [...Buffer.from(token, 'utf8')];
  const logprob = -0.25 * (index + 1);
  const alternatives = [word, word.toUpperCase(), `${word}!`, `${word}?`, `${word}.`, `${word},`];
  return {
    token: word,
    logprob,
    bytes: bytes(word),
    top_logprobs: Array.from({ length: top }, (_, rank) => {
      const token = alternatives[rank] ?? `${word}#${rank}`;
      return { token, logprob: logprob - rank, bytes: bytes(token) };
    }),
  };
}

const HEADERS = {
  'x-request-id': 'req_fake0001',
  'openai-version': '2020-10-01',
  'openai-processing-ms': '42',
  'x-ratelimit-limit-requests': '5000',
  'x-ratelimit-remaining-requests': '4999',
  'x-ratelimit-reset-requests': '12ms',
};

/** The SSE frames of one streamed chat completion, as OpenAI writes them. */
export function chatChunks(words: readonly string[], options: ChunkOptions = {}): string[] {
  const base = {
    id: 'chatcmpl-fake0001',
    object: 'chat.completion.chunk',
    created: 1_760_000_000,
    model: options.model ?? 'gpt-fake',
    service_tier: 'default',
    system_fingerprint: 'fp_fake',
  };
  const frame = (chunk: object) => `data: ${JSON.stringify({ ...base, ...chunk })}\n\n`;
  const choice = (delta: object, finish: string | null = null, logprobs: object | null = null) => ({
    choices: [{ index: 0, delta, logprobs, finish_reason: finish }],
    usage: null,
  });
  const asked = options.logprobs;
  const frames = [
    frame({
      ...choice(
        { role: 'assistant', content: options.toolCalls ? null : '', refusal: null },
        null,
        asked === undefined ? null : { content: [], refusal: null },
      ),
      ...(options.groq ? { x_groq: { id: 'req_groqfake' } } : {}),
    }),
  ];
  for (const [index, word] of words.entries()) {
    const logprobs =
      asked === undefined ? null : { content: [fakeLogprob(word, index, asked)], refusal: null };
    frames.push(frame(choice({ content: word }, null, logprobs)));
  }
  for (const [index, call] of (options.toolCalls ?? []).entries()) {
    frames.push(
      frame(
        choice({
          tool_calls: [
            { index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } },
          ],
        }),
      ),
    );
    for (const fragment of call.arguments) {
      frames.push(frame(choice({ tool_calls: [{ index, function: { arguments: fragment } }] })));
    }
  }
  const finish = options.finish ?? (options.toolCalls ? 'tool_calls' : 'stop');
  const usage = options.usage ?? { prompt: 9, completion: words.length };
  const wireUsage = {
    prompt_tokens: usage.prompt,
    completion_tokens: usage.completion,
    total_tokens: usage.prompt + usage.completion,
    prompt_tokens_details: { cached_tokens: usage.cached ?? 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
  };
  if (options.groq) {
    frames.push(frame({ ...choice({}, finish), x_groq: { id: 'req_groqfake', usage: wireUsage } }));
  } else {
    frames.push(frame(choice({}, finish)));
    frames.push(frame({ choices: [], usage: wireUsage }));
  }
  frames.push('data: [DONE]\n\n');
  return frames;
}

/** A streamed answer. */
export function chatStream(
  words: readonly string[],
  options: ChunkOptions & { gapMs?: number } = {},
): Reply {
  return {
    kind: 'sse',
    frames: chatChunks(words, options),
    headers: HEADERS,
    gapMs: options.gapMs ?? 0,
  };
}

/** A non-streamed answer (`stream: false`): one `chat.completion`, as OpenAI writes it. */
export function chatCompletion(words: readonly string[], options: ChunkOptions = {}): Reply {
  const toolCalls = options.toolCalls ?? [];
  const usage = options.usage ?? { prompt: 9, completion: words.length };
  return {
    kind: 'json',
    status: 200,
    headers: HEADERS,
    body: {
      id: 'chatcmpl-fake0001',
      object: 'chat.completion',
      created: 1_760_000_000,
      model: options.model ?? 'gpt-fake',
      service_tier: 'default',
      system_fingerprint: 'fp_fake',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: toolCalls.length > 0 && words.length === 0 ? null : words.join(''),
            refusal: null,
            annotations: [],
            ...(toolCalls.length === 0
              ? {}
              : {
                  tool_calls: toolCalls.map((call) => ({
                    id: call.id,
                    type: 'function',
                    function: { name: call.name, arguments: call.arguments.join('') },
                  })),
                }),
          },
          logprobs:
            options.logprobs === undefined
              ? null
              : {
                  content: words.map((word, index) =>
                    fakeLogprob(word, index, options.logprobs ?? 0),
                  ),
                  refusal: null,
                },
          finish_reason: options.finish ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
        },
      ],
      usage: {
        prompt_tokens: usage.prompt,
        completion_tokens: usage.completion,
        total_tokens: usage.prompt + usage.completion,
        prompt_tokens_details: { cached_tokens: usage.cached ?? 0, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
      },
    },
  };
}

/**
 * A transcription (`POST /v1/audio/transcriptions`, multipart: `file`, `model`,
 * `response_format`) as OpenAI and Groq answer `response_format: json`: `{"text": ...}`.
 */
export function transcription(text: string): Reply {
  return { kind: 'json', status: 200, headers: HEADERS, body: { text } };
}

/**
 * Speech (`POST /v1/audio/speech`, JSON `{model, input, voice, response_format}`) as the fake
 * answers it: not audio but the bytes `FAKE-<FORMAT>:<voice>:<input>`, so a test can read what
 * was asked to be said, in what voice, from what the gateway sent on.
 */
export function speech(body: unknown): Reply {
  const {
    input,
    voice,
    response_format: format,
  } = body as {
    input?: string;
    voice?: string;
    response_format?: string;
  };
  const label = (format ?? 'mp3').toUpperCase();
  return {
    kind: 'bytes',
    status: 200,
    contentType: format === 'mp3' || format === undefined ? 'audio/mpeg' : `audio/${format}`,
    body: Buffer.from(`FAKE-${label}:${voice ?? ''}:${input ?? ''}`, 'utf8'),
  };
}

/** A multipart form field's value as the fake received it (`raw`), or undefined. */
export function formField(raw: string, name: string): string | undefined {
  const match = new RegExp(`name="${name}"\r\n(?:[^\r\n]+\r\n)*\r\n([^\r]*)\r\n`).exec(raw);
  return match?.[1];
}

/** An error answer as OpenAI writes it: `{"error": {message, type, param, code}}`. */
export function openAIError(
  status: number,
  error: { message: string; type: string; code?: string | null; param?: string | null },
  headers: Record<string, string> = {},
): Reply {
  return {
    kind: 'json',
    status,
    body: {
      error: {
        message: error.message,
        type: error.type,
        param: error.param ?? null,
        code: error.code ?? null,
      },
    },
    headers: { ...HEADERS, ...headers },
  };
}

/** Real error answers, by what they say. */
export const OPENAI_ERRORS = {
  contextLength: openAIError(400, {
    message:
      "This model's maximum context length is 128000 tokens. However, your messages resulted in 130021 tokens. Please reduce the length of the messages.",
    type: 'invalid_request_error',
    param: 'messages',
    code: 'context_length_exceeded',
  }),
  badRequest: openAIError(400, {
    message: "Invalid value for 'temperature': expected a number between 0 and 2.",
    type: 'invalid_request_error',
    param: 'temperature',
    code: 'invalid_value',
  }),
  contentPolicy: openAIError(400, {
    message: 'Your request was rejected as a result of our safety system.',
    type: 'invalid_request_error',
    code: 'content_policy_violation',
  }),
  invalidKey: openAIError(401, {
    message: 'Incorrect API key provided: sk-fake. You can find your API key at your account page.',
    type: 'invalid_request_error',
    code: 'invalid_api_key',
  }),
  modelNotFound: openAIError(404, {
    message: 'The model `gpt-nope` does not exist or you do not have access to it.',
    type: 'invalid_request_error',
    code: 'model_not_found',
  }),
  timeout: openAIError(408, { message: 'Request timed out.', type: 'timeout' }),
  rateLimited: (retryAfter: Record<string, string>) =>
    openAIError(
      429,
      {
        message:
          'Rate limit reached for gpt-fake in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 1s.',
        type: 'requests',
        code: 'rate_limit_exceeded',
      },
      { 'x-ratelimit-remaining-requests': '0', ...retryAfter },
    ),
  quota: openAIError(429, {
    message: 'You exceeded your current quota, please check your plan and billing details.',
    type: 'insufficient_quota',
    code: 'insufficient_quota',
  }),
  serverError: openAIError(500, {
    message: 'The server had an error while processing your request. Sorry about that!',
    type: 'server_error',
  }),
  overloaded: openAIError(503, {
    message: 'The engine is currently overloaded, please try again later.',
    type: 'server_error',
  }),
};

/** An error event inside a stream, as OpenAI sends one after it has started answering. */
export function streamErrorFrame(message: string, type = 'server_error'): string {
  return `data: ${JSON.stringify({ error: { message, type, param: null, code: null } })}\n\n`;
}

export function embeddingVector(text: string): number[] {
  return [text.length / 100, 0.5, -0.25, 0.125];
}

export function createOpenAIFake(options: OpenAIFakeOptions = {}): Promise<FakeServer> {
  const name = options.name ?? 'openai';
  const prefix = options.prefix ?? '/v1';
  const answer = (request: RecordedRequest): Reply => {
    if (request.path === `${prefix}/chat/completions`) {
      const words = `${name}: ${lastUserText(request.body)}`
        .split(' ')
        .map((word, index) => (index === 0 ? word : ` ${word}`));
      const body = request.body as { stream?: boolean; logprobs?: boolean; top_logprobs?: number };
      const logprobs = body.logprobs === true ? { logprobs: body.top_logprobs ?? 0 } : {};
      // As the real service: JSON unless the request asks for a stream.
      if (body.stream !== true) return chatCompletion(words, logprobs);
      return chatStream(words, { ...(options.groq === true ? { groq: true } : {}), ...logprobs });
    }
    if (request.path === `${prefix}/embeddings`) {
      const body = request.body as { input: string | string[]; model: string };
      const inputs = typeof body.input === 'string' ? [body.input] : body.input;
      return {
        kind: 'json',
        status: 200,
        headers: HEADERS,
        body: {
          object: 'list',
          data: inputs.map((input, index) => ({
            object: 'embedding',
            index,
            embedding: embeddingVector(input),
          })),
          model: body.model,
          usage: { prompt_tokens: inputs.length * 3, total_tokens: inputs.length * 3 },
        },
      };
    }
    if (request.path === `${prefix}/audio/speech`) return speech(request.body);
    if (request.path === `${prefix}/audio/transcriptions`)
      return transcription(options.transcript ?? `${name} heard you`);
    return openAIError(404, {
      message: `Invalid URL (POST ${request.path})`,
      type: 'invalid_request_error',
    });
  };
  return new FakeServer(answer, options.tls === undefined ? {} : { tls: options.tls }).start();
}
