// The TypeScript SDK through every conformance scenario (sdk/conformance/scenarios), against
// two real dataplane processes behind the harness's front proxy (docs/sdks.md).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startEnvironment, type Environment } from '../../conformance/harness/environment.ts';
import { loadScenarios, type Scenario } from '../../conformance/harness/scenarios.ts';
import { EnisClient, EnisError, ERROR_CODES, type InferenceRequest } from '../src/index.ts';

let environment: Environment;

beforeAll(async () => {
  environment = await startEnvironment(inject('redisUrl'));
});

afterAll(async () => {
  await environment.stop();
});

const control = async (scenario: Scenario, step: string) => {
  const response = await fetch(`${environment.controlUrl}/scenarios/${scenario.name}/${step}`, {
    method: 'POST',
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
};

interface Receipt {
  request_id?: string;
  outcome: string;
  model: string;
}

interface ExpectedError {
  code: string;
  status: number;
  retryable: boolean;
}

async function expectTypedError(call: () => Promise<unknown>, want: ExpectedError) {
  const error = await call().then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(EnisError);
  const typed = error as EnisError;
  expect({ code: typed.code, status: typed.status, retryable: typed.retryable }).toEqual(want);
  expect(ERROR_CODES).toContain(typed.code);
  expect(typed.requestId).toBeTruthy();
}

/** The text chunks and finish reason of a stream, calling `cut` after `cutAfter` chunks. */
async function readStream(
  events: AsyncIterable<{ type: string }>,
  cutAfter: number,
  cut: () => Promise<unknown>,
) {
  const chunks: string[] = [];
  let finishReason: string | undefined;
  for await (const event of events as AsyncIterable<{
    type: string;
    text?: string;
    finish_reason?: string;
  }>) {
    if (event.type === 'text') {
      chunks.push(event.text!);
      if (chunks.length === cutAfter) await cut();
    }
    if (event.type === 'done') finishReason = event.finish_reason;
  }
  return { chunks, finish_reason: finishReason };
}

/** The resume token with the first character of its signature changed. */
const tamper = (token: string) => {
  const [payload, mac = ''] = token.split('.');
  return `${payload}.${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`;
};

async function run(scenario: Scenario, client: EnisClient) {
  const request = scenario.request as InferenceRequest;
  const expected = scenario.expect;
  switch (scenario.action) {
    case 'infer': {
      if (expected['error'] !== undefined)
        return expectTypedError(() => client.infer(request), expected['error'] as ExpectedError);
      const started = Date.now();
      const answer = await client.infer(request);
      expect(Date.now() - started).toBeGreaterThanOrEqual(
        (expected['min_elapsed_ms'] as number | undefined) ?? 0,
      );
      expect({ text: answer.output.content, finish_reason: answer.finish_reason }).toEqual({
        text: expected['text'],
        finish_reason: expected['finish_reason'],
      });
      return;
    }
    case 'stream': {
      const read = await readStream(client.stream(request), scenario.cut_after_chunks ?? -1, () =>
        control(scenario, 'cut'),
      );
      expect(read).toEqual({
        chunks: expected['chunks'],
        finish_reason: expected['finish_reason'],
      });
      return;
    }
    case 'tamper-resume': {
      let token = '';
      for await (const event of client.stream(request)) {
        if (event.type !== 'resume') continue;
        token = event.token;
        break;
      }
      return expectTypedError(
        () => client.resume(tamper(token)).next(),
        expected['error'] as ExpectedError,
      );
    }
    case 'audit-export': {
      const requestId = crypto.randomUUID();
      await client.infer(request, { requestId });
      const lines = [];
      for await (const line of client.exportAudit()) lines.push(line);
      const receipt = lines.find(
        (line) =>
          line['type'] === 'receipt' && (line['receipt'] as Receipt).request_id === requestId,
      )?.['receipt'] as Receipt | undefined;
      const want = expected['receipt'] as Receipt;
      expect({ outcome: receipt?.outcome, model: receipt?.model }).toEqual(want);
      expect(lines.at(-1)).toMatchObject({
        type: 'checkpoint',
        final: expected['final_checkpoint'],
      });
      return;
    }
    case 'cancel-stream': {
      const abort = new AbortController();
      const chunks: string[] = [];
      const reading = (async () => {
        for await (const event of client.stream(request, { signal: abort.signal })) {
          if (event.type !== 'text') continue;
          chunks.push(event.text);
          if (chunks.length === scenario.cancel_after_chunks) abort.abort();
        }
      })();
      await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
      expect(chunks).toEqual(expected['chunks']);
      return;
    }
    case 'batch': {
      const batch = await client.submitBatch({
        ...(scenario.request as object),
        task_id: `conformance-ts-${crypto.randomUUID()}`,
      });
      await client.waitForBatch(batch.id, { intervalMs: 100 });
      const results = [];
      for await (const result of client.batchResults(batch.id, { limit: scenario.page_size! }))
        results.push({
          custom_id: result.custom_id,
          status: result.status,
          text: result.status === 'succeeded' ? result.response.output.content : undefined,
        });
      expect(results).toEqual(expected['results']);
    }
  }
}

describe('the TypeScript SDK', () => {
  it.each(loadScenarios().map((scenario) => [scenario.name, scenario] as const))(
    'passes the conformance scenario %s',
    async (_name, scenario) => {
      const { base_url, token } = (await control(scenario, 'prepare')) as {
        base_url: string;
        token: string;
      };
      await run(scenario, new EnisClient({ baseUrl: base_url, token }));
      expect(await control(scenario, 'check')).toEqual({ problems: [] });
    },
  );
});
