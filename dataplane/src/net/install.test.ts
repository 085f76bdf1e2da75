// The guard as main.ts starts it: refusals counted with a bounded host label and logged, those
// before `attach` included. Every refused host is in TEST-NET-1: nothing leaves the machine.
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_HOST_LABELS, startEgressGuard } from './install.ts';

const guard = startEgressGuard({});
afterAll(() => {
  guard.uninstall();
});

const refuse = async (host: string) => {
  await expect(fetch(`http://${host}/`)).rejects.toThrow('fetch failed');
};

describe('the started egress guard', () => {
  it('counts and logs every refusal, with at most a bounded number of host labels', async () => {
    await refuse('192.0.2.200');
    const registry = new Registry();
    const lines: { fields: Record<string, unknown>; message: string }[] = [];
    guard.attach({
      config: { current: undefined },
      registry,
      log: { warn: (fields, message) => lines.push({ fields, message }) },
    });
    for (let i = 1; i <= MAX_HOST_LABELS + 3; i++) await refuse(`192.0.2.${i}`);

    expect(lines[0]).toEqual({
      fields: { host: '192.0.2.1', port: 80, reason: 'not_listed', airGapped: false },
      message: 'Refused egress',
    });
    expect(lines).toHaveLength(MAX_HOST_LABELS + 3);
    const counted = (await registry.getSingleMetric('inference_egress_denied_total')?.get())
      ?.values;
    const byHost = new Map(counted?.map((v) => [v.labels['host'], v.value]));
    expect(byHost.get('192.0.2.200')).toBe(1);
    expect(byHost.size).toBe(MAX_HOST_LABELS + 1);
    expect(byHost.get('other')).toBe(4);
  });
});
