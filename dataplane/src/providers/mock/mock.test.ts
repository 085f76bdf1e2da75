import { describe, expect, it } from 'vitest';
import type { Chunk } from '../../core/types.ts';
import type { ProviderRequest } from '../provider.ts';
import { createMockProvider } from './mock.ts';
import { exampleOf } from './schema-example.ts';

const mock = createMockProvider();
const weather = {
  name: 'get_weather',
  parameters: {
    type: 'object',
    properties: {
      city: { type: 'string' },
      unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
      days: { type: 'integer', minimum: 1 },
      note: { type: 'string' },
    },
    required: ['city', 'unit', 'days'],
  },
};

async function chunks(request: Partial<ProviderRequest>): Promise<Chunk[]> {
  const all: Chunk[] = [];
  const full = { model: 'echo', messages: [{ role: 'user', content: 'Paris' }], ...request };
  for await (const chunk of mock.stream(full as ProviderRequest, new AbortController().signal))
    all.push(chunk);
  return all;
}

describe('the mock provider with tools', () => {
  it('calls the tool it must call, with an example of its schema, and says nothing else', async () => {
    const [done, ...rest] = await chunks({ tools: [weather], toolChoice: 'required' });
    expect(rest).toEqual([]);
    expect(done).toMatchObject({ type: 'done', finishReason: 'tool_calls' });
    const call = done?.type === 'done' ? done.toolCalls?.[0] : undefined;
    expect(call?.name).toBe('get_weather');
    expect(JSON.parse(call?.arguments ?? '')).toEqual({ city: 'Paris', unit: 'celsius', days: 1 });
    expect(call?.id).toMatch(/^call_[0-9a-f]{24}$/);
  });

  it('calls the named tool, the same call for the same request', async () => {
    const other = { name: 'noop', parameters: { type: 'object' } };
    const request = { tools: [other, weather], toolChoice: { name: 'get_weather' } };
    const [first] = await chunks(request);
    const [again] = await chunks(request);
    expect(first?.type === 'done' ? first.toolCalls?.[0]?.name : '').toBe('get_weather');
    expect(again).toEqual(first);
  });

  it('answers text when it may choose (auto) or must not call (none)', async () => {
    for (const toolChoice of ['auto', 'none'] as const) {
      const all = await chunks({ tools: [weather], toolChoice });
      expect(all.filter((chunk) => chunk.type === 'text').map((chunk) => chunk.text)).toEqual([
        'Echo:',
        ' Paris',
      ]);
      expect(all.at(-1)).toMatchObject({ type: 'done', finishReason: 'stop' });
    }
  });
});

describe('the mock provider under a JSON response_format', () => {
  const texts = async (request: Partial<ProviderRequest>) =>
    (await chunks(request)).flatMap((chunk) => (chunk.type === 'text' ? [chunk.text] : []));

  it('answers json_object with its answer in an object, in one chunk', async () => {
    expect(await texts({ responseFormat: { type: 'json_object' } })).toEqual([
      '{"answer":"Echo: Paris"}',
    ]);
  });

  it('answers json_schema with an example valid against the schema', async () => {
    const schema = {
      type: 'object',
      properties: {
        city: { type: 'string', minLength: 12 },
        when: { type: 'string', format: 'date-time' },
        tags: { type: 'array', items: { type: 'string', maxLength: 4 }, minItems: 2 },
        kind: { anyOf: [{ type: 'integer', minimum: 3 }, { type: 'string' }] },
      },
      required: ['city', 'when', 'tags', 'kind'],
      additionalProperties: false,
    };
    const [answer] = await texts({ responseFormat: { type: 'json_schema', schema } });
    expect(JSON.parse(answer ?? '')).toEqual({
      city: 'Echo: Paris.',
      when: '1970-01-01T00:00:00Z',
      tags: ['Echo', 'Echo'],
      kind: 3,
    });
  });

  it('refuses by name a schema its example does not satisfy, saying where', async () => {
    const schema = {
      type: 'object',
      properties: { code: { type: 'string', pattern: '^[A-Z]{3}$' } },
    };
    await expect(chunks({ responseFormat: { type: 'json_schema', schema } })).rejects.toMatchObject(
      {
        code: 'UPSTREAM_BAD_REQUEST',
        details: { provider: 'mock', parameter: 'response_format' },
        message: expect.stringContaining('/code must match pattern') as unknown,
      },
    );
  });

  it('refuses by name a schema that is not valid', async () => {
    const schema = { type: 'object', required: 'city' };
    await expect(chunks({ responseFormat: { type: 'json_schema', schema } })).rejects.toMatchObject(
      {
        details: { parameter: 'response_format' },
        message: expect.stringContaining('the schema is not valid') as unknown,
      },
    );
  });
});

describe('an example of a JSON Schema', () => {
  it.each([
    ['a const', { const: 7 }, 7],
    ['a boolean', { type: 'boolean' }, false],
    ['an array', { type: 'array', items: { type: 'string' } }, []],
    ['a number without a minimum', { type: ['number', 'null'] }, 0],
    [
      'every property when none is required',
      { type: 'object', properties: { a: { type: 'string' } } },
      { a: 'text' },
    ],
    ['an unknown type', { type: 'null' }, null],
    ['no schema', undefined, null],
  ])('of %s', (_, schema, example) => {
    expect(exampleOf(schema, 'text', 0)).toEqual(example);
  });

  it('stops at depth 8', () => {
    let schema: Record<string, unknown> = { type: 'string' };
    for (let level = 0; level < 12; level++)
      schema = { type: 'object', properties: { x: schema }, required: ['x'] };
    expect(JSON.stringify(exampleOf(schema, 't', 0))).toContain('null');
  });
});
