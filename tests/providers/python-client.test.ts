/**
 * The official `openai` and `anthropic` Python clients (PyPI, installed by `make test` into
 * .tmp/venv) call the gateway unchanged: chat, streaming, embeddings, logprobs and responses;
 * messages, streamed and whole.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';

const python = '.tmp/venv/bin/python';
let config: ConfigDir;
let app: FastifyInstance;
let base: string;

const SCRIPT = `
import json, os, sys
from openai import OpenAI

client = OpenAI(base_url=os.environ["BASE_URL"], api_key=os.environ["TOKEN"], max_retries=0)
out = {}
completion = client.chat.completions.create(model="chat", messages=[{"role": "user", "content": "hello python"}])
out["chat"] = {"content": completion.choices[0].message.content, "finish": completion.choices[0].finish_reason,
               "usage": completion.usage.model_dump(exclude_none=True)}
pieces = []
usage = None
for chunk in client.chat.completions.create(model="tiny", messages=[{"role": "user", "content": "hi"}],
                                            stream=True, stream_options={"include_usage": True}):
    if chunk.choices and chunk.choices[0].delta.content:
        pieces.append(chunk.choices[0].delta.content)
    if chunk.usage:
        usage = chunk.usage.completion_tokens
out["stream"] = {"pieces": pieces, "usage": usage}
embeddings = client.embeddings.create(model="embed", input=["one", "two"])
out["embeddings"] = {"count": len(embeddings.data), "dims": len(embeddings.data[0].embedding),
                     "norm": sum(v * v for v in embeddings.data[0].embedding)}
try:
    client.chat.completions.create(model="missing", messages=[{"role": "user", "content": "x"}])
except Exception as error:
    out["missing"] = type(error).__name__
response = client.responses.create(model="chat", input="hello responses")
out["responses"] = response.output_text
scored = client.chat.completions.create(model="tiny", messages=[{"role": "user", "content": "hi"}],
                                        logprobs=True, top_logprobs=2, max_tokens=3)
out["logprobs"] = [{"token": t.token, "logprob": t.logprob, "bytes": t.bytes,
                    "top": [alt.token for alt in t.top_logprobs]} for t in scored.choices[0].logprobs.content]
print(json.dumps(out))
`;

const ANTHROPIC_SCRIPT = `
import json, os
import anthropic

client = anthropic.Anthropic(base_url=os.environ["BASE_URL"], api_key=os.environ["TOKEN"], max_retries=0)
out = {}
message = client.messages.create(model="chat", max_tokens=64, system="Be brief.",
                                 messages=[{"role": "user", "content": "hello anthropic"}])
out["message"] = {"text": message.content[0].text, "stop": message.stop_reason,
                  "output_tokens": message.usage.output_tokens}
with client.messages.stream(model="chat", max_tokens=64,
                            messages=[{"role": "user", "content": "stream it"}]) as stream:
    out["stream"] = {"pieces": list(stream.text_stream),
                     "stop": stream.get_final_message().stop_reason}
try:
    client.messages.create(model="chat", max_tokens=8, messages=[{"role": "user", "content": "x"}],
                           extra_body={"top_k": 3})
except Exception as error:
    out["top_k"] = type(error).__name__
print(json.dumps(out))
`;

beforeAll(async () => {
  config = await makeConfigDir({
    // No output filter, which would refuse logprobs.
    gateway: { safety: { piiOutput: 'off' } },
    routes: {
      routes: [
        { alias: 'chat', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] },
        { alias: 'tiny', targets: [{ name: 'tiny', provider: 'local', model: 'tiny?dtype=q4' }] },
        { alias: 'embed', targets: [{ name: 'hash', provider: 'mock', model: 'embed' }] },
      ],
    },
  });
  app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app.close();
  await config.cleanup();
});

describe('the openai Python client against the OpenAI-compatible API', () => {
  it('gets a chat completion, a token stream and embeddings', { timeout: 60_000 }, async () => {
    expect(existsSync(python), 'run `make test` (it installs the Python test tools)').toBe(true);
    const env = { ...process.env, BASE_URL: `${base}/v1`, TOKEN: await config.token() };
    const { stdout } = await promisify(execFile)(python, ['-c', SCRIPT], { env });
    const out = JSON.parse(stdout) as Record<string, Record<string, unknown> | string>;
    expect(out['chat']).toEqual({
      content: 'Echo: hello python',
      finish: 'stop',
      usage: {
        prompt_tokens: 2,
        completion_tokens: 3,
        total_tokens: 5,
        prompt_tokens_details: { cached_tokens: 0 },
      },
    });
    const stream = out['stream'] as { pieces: string[]; usage: number };
    expect(stream.pieces.join('')).toBe(
      'Hello! I am a tiny local model, running on ONNX Runtime inside the gateway.',
    );
    expect(stream.pieces.length).toBeGreaterThan(10);
    expect(stream.usage).toBe(18);
    expect(out['embeddings']).toMatchObject({ count: 2, dims: 8 });
    expect((out['embeddings'] as { norm: number }).norm).toBeCloseTo(1, 5);
    expect(out['missing']).toBe('NotFoundError');
    expect(out['responses']).toBe('Echo: hello responses');
    const scored = out['logprobs'] as unknown as {
      token: string;
      logprob: number;
      bytes: number[];
      top: string[];
    }[];
    expect(scored.map(({ token }) => token)).toEqual(['Hello', '!', ' I']);
    for (const { token, logprob, bytes, top } of scored) {
      expect(logprob).toBeLessThanOrEqual(0);
      expect(bytes).toEqual([...Buffer.from(token, 'utf8')]);
      expect(top).toHaveLength(2);
      expect(top[0]).toBe(token);
    }
  });
});

describe('the anthropic Python client against the Messages API', () => {
  it('gets a message whole and streamed, and a clear refusal', { timeout: 60_000 }, async () => {
    const env = { ...process.env, BASE_URL: base, TOKEN: await config.token() };
    const { stdout } = await promisify(execFile)(python, ['-c', ANTHROPIC_SCRIPT], { env });
    const out = JSON.parse(stdout) as Record<string, unknown>;
    expect(out['message']).toEqual({
      text: 'Echo: hello anthropic',
      stop: 'end_turn',
      output_tokens: 3,
    });
    const stream = out['stream'] as { pieces: string[]; stop: string };
    expect(stream.pieces.join('')).toBe('Echo: stream it');
    expect(stream.pieces.length).toBeGreaterThan(1);
    expect(stream.stop).toBe('end_turn');
    expect(out['top_k']).toBe('BadRequestError');
  });
});
