/**
 * The client libraries applications use, unchanged but for their base URL and key: the Vercel
 * AI SDK (`ai` with `@ai-sdk/openai`, whose default model speaks the Responses API and whose
 * `.chat` model Chat Completions) and LangChain's `ChatOpenAI`, whole and streamed, against the
 * mock route.
 */
import { createOpenAI } from '@ai-sdk/openai';
import { ChatOpenAI } from '@langchain/openai';
import { generateText, streamText } from 'ai';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';

let config: ConfigDir;
let app: FastifyInstance;
let baseURL: string;
let apiKey: string;

beforeAll(async () => {
  config = await makeConfigDir({
    gateway: { safety: { sanitize: false, pii: 'off', piiOutput: 'off' } },
  });
  app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false });
  baseURL = `${await app.listen({ host: '127.0.0.1', port: 0 })}/v1`;
  apiKey = await config.token();
});

afterAll(async () => {
  await app.close();
  await config.cleanup();
});

describe('the Vercel AI SDK', () => {
  it('generates and streams text through the Responses API (its default)', async () => {
    const openai = createOpenAI({ baseURL, apiKey });
    const whole = await generateText({ model: openai('chat'), prompt: 'hello from ai' });
    expect(whole.text).toBe('Echo: hello from ai');
    expect(whole.usage.outputTokens).toBe(4);
    const streamed = streamText({ model: openai('chat'), prompt: 'streamed from ai' });
    const pieces: string[] = [];
    for await (const piece of streamed.textStream) pieces.push(piece);
    expect(pieces.join('')).toBe('Echo: streamed from ai');
    expect(pieces.length).toBeGreaterThan(2);
  });

  it('generates and streams text through Chat Completions', async () => {
    const openai = createOpenAI({ baseURL, apiKey });
    const whole = await generateText({ model: openai.chat('chat'), prompt: 'chat from ai' });
    expect(whole.text).toBe('Echo: chat from ai');
    const streamed = streamText({ model: openai.chat('chat'), prompt: 'chat stream' });
    expect(await streamed.text).toBe('Echo: chat stream');
  });
});

describe("LangChain's ChatOpenAI", () => {
  it('invokes and streams', async () => {
    const model = new ChatOpenAI({
      model: 'chat',
      apiKey,
      configuration: { baseURL },
      maxRetries: 0,
    });
    const answer = await model.invoke('hello from langchain');
    expect(answer.content).toBe('Echo: hello from langchain');
    const pieces: string[] = [];
    for await (const chunk of await model.stream('streamed from langchain'))
      pieces.push(typeof chunk.content === 'string' ? chunk.content : '');
    expect(pieces.join('')).toBe('Echo: streamed from langchain');
  });
});
