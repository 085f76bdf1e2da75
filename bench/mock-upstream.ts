/**
 * A mock OpenAI-compatible upstream on plain node:http, fast enough not to be what a benchmark
 * measures. `POST /v1/chat/completions` answers JSON or, with `stream: true`, SSE chunks;
 * the request's `model` says how, with the mock provider's syntax:
 *
 *   bench?firstMs=0&chunks=20&gapMs=5
 *
 * - `firstMs`: fixed latency before the first byte (default 0);
 * - `chunks`: SSE chunks of content (default 20); the JSON answer is the same text whole;
 * - `gapMs`: wait between chunks (default 0: every chunk in its own write, back to back).
 *
 * The text is a realistic answer with multibyte characters (accents, CJK, emoji) and no PII.
 *
 *   node bench/mock-upstream.ts [--port=0] [--latency-ms=0] [--jitter-ms=0]
 *     prints `READY <port>` when it listens on 127.0.0.1; `--latency-ms` adds a fixed wait
 *     before every answer's first byte and `--jitter-ms` up to that much more, uniformly drawn
 *     (an upstream's own time to first token, on top of the model's `firstMs`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/** About 420 bytes of UTF-8 in 64 words: what a short chat answer looks like on the wire. */
export const ANSWER_WORDS = (
  'Claro, aquí tienes un resumen rápido: el informe trimestral muestra un crecimiento del ' +
  '12 % en Europa, con la región nórdica a la cabeza. Les équipes à Montréal ont livré ' +
  'la nouvelle version en avance. 日本のチームは品質テストを完了しました。 The main risk ' +
  'remains supply-chain latency; mitigation is under way and the next review is planned ' +
  'for the first week of the quarter. Überblick: alles im grünen Bereich ✅ 🚀'
).split(' ');

export interface MockBehaviour {
  firstMs: number;
  chunks: number;
  gapMs: number;
}

export function parseBehaviour(model: string): MockBehaviour {
  const query = new URLSearchParams(model.split('?', 2)[1] ?? '');
  const number = (name: string, fallback: number) => {
    const value = Number(query.get(name) ?? fallback);
    return Number.isFinite(value) && value >= 0 ? value : fallback;
  };
  return { firstMs: number('firstMs', 0), chunks: number('chunks', 20), gapMs: number('gapMs', 0) };
}

/** The answer cut into `chunks` pieces (words spread evenly; repeated when there are more chunks). */
export function answerPieces(chunks: number): string[] {
  const count = Math.max(1, Math.floor(chunks));
  if (count >= ANSWER_WORDS.length) {
    return Array.from(
      { length: count },
      (_, i) => (i === 0 ? '' : ' ') + ANSWER_WORDS[i % ANSWER_WORDS.length]!,
    );
  }
  const pieces: string[] = [];
  for (let i = 0; i < count; i++) {
    const from = Math.floor((i * ANSWER_WORDS.length) / count);
    const to = Math.floor(((i + 1) * ANSWER_WORDS.length) / count);
    pieces.push((i === 0 ? '' : ' ') + ANSWER_WORDS.slice(from, to).join(' '));
  }
  return pieces;
}

interface Prepared {
  behaviour: MockBehaviour;
  json: Buffer;
  /** Content frames, the finish frame, the usage frame when asked for, and `[DONE]`. */
  frames: Buffer[];
  /** Frames 1..paced wait `gapMs` before they are written (content after the first, and finish). */
  paced: number;
}

const prepared = new Map<string, Prepared>();

function prepare(model: string, includeUsage: boolean): Prepared {
  const key = `${includeUsage ? 'u' : '-'}${model}`;
  let entry = prepared.get(key);
  if (entry !== undefined) return entry;
  const behaviour = parseBehaviour(model);
  const pieces = answerPieces(behaviour.chunks);
  const usage = {
    prompt_tokens: 24,
    completion_tokens: pieces.length,
    total_tokens: 24 + pieces.length,
  };
  const id = 'chatcmpl-mock';
  const created = 1_700_000_000;
  const json = Buffer.from(
    JSON.stringify({
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: pieces.join(''), refusal: null },
          finish_reason: 'stop',
          logprobs: null,
        },
      ],
      usage,
    }),
  );
  const chunk = (delta: object, finish: string | null, extra: object = {}) =>
    Buffer.from(
      `data: ${JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
        ...extra,
      })}\n\n`,
    );
  const frames = pieces.map((text, i) =>
    chunk(i === 0 ? { role: 'assistant', content: text } : { content: text }, null),
  );
  frames.push(chunk({}, 'stop'));
  if (includeUsage) {
    frames.push(
      Buffer.from(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`,
      ),
    );
  }
  frames.push(Buffer.from('data: [DONE]\n\n'));
  entry = { behaviour, json, frames, paced: pieces.length };
  prepared.set(key, entry);
  return entry;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Upstream latency added to every answer before its first byte (bench/ga-load.ts). */
export interface MockLatency {
  latencyMs: number;
  jitterMs: number;
}

async function answer(
  request: IncomingMessage,
  response: ServerResponse,
  latency: MockLatency,
): Promise<void> {
  const parts: Buffer[] = [];
  for await (const part of request) parts.push(part as Buffer);
  if (request.method !== 'POST' || !request.url?.endsWith('/chat/completions')) {
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end('{"error":{"message":"not found","type":"invalid_request_error"}}');
    return;
  }
  let body: { model?: unknown; stream?: unknown; stream_options?: { include_usage?: unknown } };
  try {
    body = JSON.parse(Buffer.concat(parts).toString('utf8')) as typeof body;
  } catch {
    response.writeHead(400, { 'content-type': 'application/json' });
    response.end('{"error":{"message":"bad json","type":"invalid_request_error"}}');
    return;
  }
  const model = typeof body.model === 'string' ? body.model : 'bench';
  const { behaviour, json, frames, paced } = prepare(
    model,
    body.stream_options?.include_usage === true,
  );
  // Math.random is fine here: a load shape, nothing security-relevant.
  const firstMs = behaviour.firstMs + latency.latencyMs + Math.random() * latency.jitterMs;
  if (firstMs > 0) await wait(firstMs);
  if (body.stream !== true) {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': json.length });
    response.end(json);
    return;
  }
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
  });
  for (const [i, frame] of frames.entries()) {
    if (response.destroyed) return;
    if (i > 0 && i <= paced && behaviour.gapMs > 0) await wait(behaviour.gapMs);
    response.write(frame);
  }
  response.end();
}

/** Starts the mock on 127.0.0.1; resolves with its port. */
export async function startMockUpstream(
  port = 0,
  latency: MockLatency = { latencyMs: 0, jitterMs: 0 },
): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
    answer(request, response, latency).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return {
    port: address.port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

if (import.meta.main) {
  const flag = (name: string) =>
    Number(process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? 0);
  const { port } = await startMockUpstream(flag('port'), {
    latencyMs: flag('latency-ms'),
    jitterMs: flag('jitter-ms'),
  });
  console.log(`READY ${port}`);
}
