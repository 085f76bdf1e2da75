/**
 * The cookbook (docs/cookbook/) proven: every recipe's `sh cookbook` blocks run with bash
 * against a real dataplane started here (`make run`'s, or a gateway on the page's own contract
 * files), with `$BASE` and `$TOKEN` set, and what the page says the reader sees is asserted.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startRedis, type Redis as RedisServer } from '../cluster/harness.ts';
import { parseSse } from '../batch/support.ts';
import { startUpstream } from '../mcp/upstream-server.ts';
import { startGateway, startMakeRun, type RunningDataplane } from './cookbook-dataplane.ts';
import { readPage, renderResources, runCommands, type CookbookPage } from './cookbook-page.ts';

const root = join(import.meta.dirname, '../..');
const MINUTE = 60_000;

/** Runs a page's commands against `dataplane`; fails with what bash said when one fails. */
async function run(page: CookbookPage, dataplane: RunningDataplane) {
  const result = await runCommands(page.commands, { BASE: dataplane.url, TOKEN: dataplane.token });
  expect(result.code, `${result.stderr}\n${result.outputs.join('\n')}`).toBe(0);
  return result.outputs;
}

/** The contract files a page shows: its `file=` blocks and its rendered resources. */
const contractOf = (page: CookbookPage) => new Map([...page.files, ...renderResources(page)]);

describe('the recipes on make run', () => {
  let makeRun: RunningDataplane;
  beforeAll(async () => {
    makeRun = await startMakeRun();
  }, MINUTE);
  afterAll(async () => {
    await makeRun.stop();
  });

  it('streams an answer, resumes it after the drop from Last-Event-ID, and refuses a tampered token', async () => {
    const [first, resumed, tampered] = await run(await readPage('streaming-resume.md'), makeRun);
    const before = await parseSse(`${first!}\n`);
    expect(before[0]).toMatchObject({ event: 'resume' });
    expect(before.slice(1).map((event) => event.id)).toEqual(['1', '2', '3']);
    const after = await parseSse(resumed!);
    expect(after[0]).toMatchObject({ event: 'resume' });
    expect(JSON.parse(after[0]!.data)).toMatchObject({ offset: 3 });
    expect(after.slice(1).map((event) => event.id)).toEqual(['4', '5', '6', '7', '8']);
    expect(after.at(-1)?.event).toBe('done');
    const text = [...before, ...after]
      .filter((event) => event.event === 'data')
      .map((event) => (JSON.parse(event.data) as { text: string }).text)
      .join('');
    expect(text).toBe('Echo: Resume me from the middle please');
    const [body, status] = tampered!.trim().split('\n');
    expect(status).toBe('401');
    expect(JSON.parse(body!)).toMatchObject({ error: { code: 'INVALID_RESUME_TOKEN' } });
  });

  it('answers from the second target of a fallback chain, and counts the first one failing', async () => {
    const page = await readPage('fallback.md');
    const shown = parse(page.files.get('routes.yaml')!) as { routes: { alias: string }[] };
    const embedded = parse(await readFile(join(root, 'config/routes.yaml'), 'utf8')) as {
      routes: { alias: string }[];
    };
    for (const route of shown.routes)
      expect(embedded.routes.find((candidate) => candidate.alias === route.alias)).toEqual(route);
    const [answer, metrics] = await run(page, makeRun);
    const [body, status] = answer!.trim().split('\n');
    expect(status).toBe('200');
    expect(JSON.parse(body!)).toMatchObject({
      model: 'chat-with-fallback',
      output: {
        content: 'Hello! I am a tiny local model, running on ONNX Runtime inside the gateway.',
      },
      finish_reason: 'stop',
    });
    const failures =
      /inference_upstream_errors_total\{target="chat-with-fallback\/flaky",code="UPSTREAM_UNAVAILABLE"\} (\d+)/.exec(
        metrics!,
      );
    expect(Number(failures?.[1])).toBeGreaterThanOrEqual(1);
  });
});

describe('the recipes on a gateway of their own', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('meters a tenant: cost and rate-limit headers, the usage endpoint, then BUDGET_EXCEEDED', async () => {
    const page = await readPage('budgets.md');
    const gateway = await startGateway({
      files: contractOf(page),
      tenant: 'acme',
      redisUrl: redis.url,
    });
    try {
      const [headers, usage, refusal] = await run(page, gateway);
      expect(headers).toMatch(/^HTTP\/1\.1 200 OK$/m);
      expect(headers).toMatch(/^x-inference-cost-usd: 0\.0000\d\d$/m);
      expect(headers).toContain(
        'ratelimit-policy: "requests";q=10;w=60, "tokens";q=60;w=86400, "cost";q=10000;w=86400',
      );
      expect(headers).toMatch(/^x-ratelimit-remaining-requests: 9$/m);
      const report = JSON.parse(usage!) as {
        limits: object;
        spent: { tokens: number };
        reserved: object;
        remaining: { tokens: number };
      };
      expect(report.limits).toEqual({ cost_usd: '0.01', tokens: 60, requests_per_minute: 10 });
      expect(report.spent.tokens).toBeGreaterThan(0);
      expect(report.reserved).toEqual({ cost_usd: '0', tokens: 0 });
      expect(report.remaining.tokens).toBe(60 - report.spent.tokens);
      expect(refusal).toMatch(/^HTTP\/1\.1 402 Payment Required$/m);
      expect(Number(/^retry-after: (\d+)$/m.exec(refusal!)?.[1])).toBeGreaterThan(0);
      const body = refusal!.split('\n').find((line) => line.startsWith('{'));
      expect(JSON.parse(body!)).toMatchObject({
        error: { code: 'BUDGET_EXCEEDED', details: { limit: 'tokens' } },
      });
    } finally {
      await gateway.stop();
    }
  });
  it('serves a pinned prompt version, checks its variables, and splits users between the control and the experiment', async () => {
    const page = await readPage('prompts.md');
    const gateway = await startGateway({ files: contractOf(page), tenant: 'acme' });
    try {
      const [pinned, invalid, sticky] = await run(page, gateway);
      expect(pinned).toMatch(/^HTTP\/1\.1 200 OK$/m);
      expect(pinned).toMatch(/^x-prompt-version: greet@1\.0\.0$/m);
      const body = pinned!.split('\n').find((line) => line.startsWith('{'));
      expect(JSON.parse(body!)).toMatchObject({
        output: { content: 'Echo: Greet Ada from Paris.' },
      });
      const [error, status] = invalid!.trim().split('\n');
      expect(status).toBe('400');
      expect(JSON.parse(error!)).toMatchObject({ error: { code: 'BAD_REQUEST' } });
      const versions = sticky!
        .trim()
        .split('\n')
        .map((line) => line.trim());
      expect(versions).toHaveLength(3);
      expect(new Set(versions).size, sticky).toBe(1);
      const seen = new Set<string>();
      for (let user = 0; user < 20; user++) {
        const token = await gateway.config.token({ tenant: 'acme', sub: `user-${String(user)}` });
        const result = await runCommands([page.commands[2]!], { BASE: gateway.url, TOKEN: token });
        expect(result.code, result.stderr).toBe(0);
        for (const line of result.outputs[0]!.trim().split('\n')) seen.add(line.trim());
      }
      expect([...seen].sort()).toEqual([
        'x-prompt-version: greet@1.0.0',
        'x-prompt-version: greet@1.1.0',
      ]);
    } finally {
      await gateway.stop();
    }
  });

  it('runs a batch to completion, pages its results in order, and cancels a running one', async () => {
    const page = await readPage('batch.md');
    const gateway = await startGateway({
      files: contractOf(page),
      tenant: 'acme',
      redisUrl: redis.url,
    });
    try {
      const [submitted, finished, results, cancelled] = await run(page, gateway);
      expect(submitted!.trim()).toMatch(/^\S+$/);
      expect(JSON.parse(finished!)).toEqual({
        status: 'completed',
        request_counts: { total: 3, succeeded: 3, failed: 0, cancelled: 0, pending: 0 },
      });
      expect(
        results!
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as object),
      ).toEqual([
        { index: 0, custom_id: 'a', status: 'succeeded', content: 'Echo: first' },
        { index: 1, custom_id: 'b', status: 'succeeded', content: 'Echo: second' },
        { index: 2, custom_id: 'c', status: 'succeeded', content: 'Echo: third' },
      ]);
      const [whenCancelled, end] = cancelled!
        .trim()
        .split('\n')
        .map(
          (line) =>
            JSON.parse(line) as {
              status: string;
              request_counts: {
                total: number;
                succeeded: number;
                cancelled: number;
                pending: number;
              };
            },
        );
      expect(['cancelling', 'cancelled']).toContain(whenCancelled!.status);
      expect(end!.status).toBe('cancelled');
      expect(end!.request_counts.total).toBe(10);
      expect(end!.request_counts.cancelled).toBeGreaterThan(0);
      expect(end!.request_counts.succeeded + end!.request_counts.cancelled).toBe(10);
      expect(end!.request_counts.pending).toBe(0);
    } finally {
      await gateway.stop();
    }
  });
  it('calls an allowed MCP tool through the gateway and refuses one outside the allowlist', async () => {
    const page = await readPage('mcp.md');
    const upstream = await startUpstream('search');
    const files = contractOf(page);
    files.set(
      'mcp.yaml',
      files.get('mcp.yaml')!.replace('http://127.0.0.1:8931/mcp', upstream.url),
    );
    const gateway = await startGateway({ files, tenant: 'acme', scopes: ['mcp:invoke'] });
    try {
      const [initialized, listed, called] = await run(page, gateway);
      expect(initialized!.trim()).toBe('202');
      expect(JSON.parse(listed!)).toEqual(['search__echo', 'search__add']);
      const [result, refusal] = called!
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as object);
      expect(result).toMatchObject({ content: [{ type: 'text', text: '5' }] });
      expect(refusal).toMatchObject({ code: -32602 });
    } finally {
      await gateway.stop();
      await upstream.close();
    }
  });
  it('opens the voice socket with a single-use ticket, answers a typed turn, and refuses the ticket again', async () => {
    const page = await readPage('voice.md');
    const gateway = await startGateway({ files: contractOf(page), tenant: 'acme', prompts: true });
    try {
      const [session, socket, again] = await run(page, gateway);
      expect(JSON.parse(session!)).toMatchObject({
        protocol: 'inference.voice.v1',
        url: '/api/v1/voice/ws',
        ticket: true,
      });
      const [protocol, ...frames] = socket!.trim().split('\n');
      expect(protocol).toBe('protocol: inference.voice.v1');
      expect(frames.map((line) => JSON.parse(line) as object)).toContainEqual({
        type: 'final',
        source: 'answer',
        text: 'Echo: What time is it?',
      });
      expect(again!.trim()).toBe('refused');
    } finally {
      await gateway.stop();
    }
  });
});
