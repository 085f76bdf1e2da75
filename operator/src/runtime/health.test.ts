import { describe, expect, it } from 'vitest';
import { startHealthServers } from './health.ts';
import { createLogger } from './log.ts';
import { createMetrics } from './metrics.ts';

describe('the health and metrics servers', () => {
  it('answer /healthz, /readyz (503 with the reason until ready) and /metrics, on two ports', async () => {
    const metrics = createMetrics({ defaultMetrics: true });
    metrics.leader.set(1);
    let reason: string | undefined = 'caches not synced: secrets';
    const servers = await startHealthServers(
      { registry: metrics.registry, notReady: () => reason },
      { healthPort: 0, metricsPort: 0, host: '127.0.0.1' },
    );
    try {
      const health = `http://127.0.0.1:${servers.healthPort}`;
      expect((await fetch(`${health}/healthz`)).status).toBe(200);
      const notReady = await fetch(`${health}/readyz`);
      expect([notReady.status, await notReady.text()]).toEqual([
        503,
        'caches not synced: secrets\n',
      ]);
      reason = undefined;
      expect((await fetch(`${health}/readyz`)).status).toBe(200);
      expect((await fetch(`${health}/metrics`)).status).toBe(404);
      const text = await (await fetch(`http://127.0.0.1:${servers.metricsPort}/metrics`)).text();
      expect(text).toContain('inference_operator_leader 1');
      expect(text).toContain('process_resident_memory_bytes');
    } finally {
      await servers.close();
    }
  });

  it('serve everything on one port when both ports are the same', async () => {
    const probe = await startHealthServers(
      { registry: createMetrics().registry, notReady: () => undefined },
      { healthPort: 0, metricsPort: 0, host: '127.0.0.1' },
    );
    const port = probe.healthPort;
    await probe.close();
    const servers = await startHealthServers(
      { registry: createMetrics().registry, notReady: () => undefined },
      { healthPort: port, metricsPort: port, host: '127.0.0.1' },
    );
    try {
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
    } finally {
      await servers.close();
    }
  });
});

describe('the logger', () => {
  it('writes one JSON object per line at or above its level, with the bound fields', () => {
    const lines: string[] = [];
    const log = createLogger('info', (line) => lines.push(line)).with({ controller: 'x' });
    log.debug('Skipped');
    log.info('Applied Deployment', { namespace: 'team' });
    log.warn('Lost watch', { error: new Error('reset') });
    log.error('Failed');
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.map((p) => [p['level'], p['msg']])).toEqual([
      ['info', 'Applied Deployment'],
      ['warn', 'Lost watch'],
      ['error', 'Failed'],
    ]);
    expect(parsed[0]).toMatchObject({ controller: 'x', namespace: 'team' });
    expect(parsed[1]?.['error']).toBe('reset');
  });
});
