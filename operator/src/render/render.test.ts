import { describe, expect, it } from 'vitest';
import { destinationOf, destinationOfUrl, isInCluster } from './egress.ts';
import { labelSafe, modelNames, ownerValue, serviceSafeName } from './labels.ts';
import {
  describeBytes,
  formatBytes,
  memoryRequestFor,
  modelMemory,
  parseQuantity,
  sameQuantity,
} from './quantity.ts';

describe('names and labels', () => {
  it('keeps short names, and hashes long ones into valid label values', () => {
    expect(ownerValue('InferenceModel', 'phi-3-mini')).toBe('inferencemodel.phi-3-mini');
    const long = labelSafe(`inferencemodel.${'a'.repeat(80)}`);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/);
    expect(labelSafe(`inferencemodel.${'a'.repeat(80)}`)).toBe(long);
    expect(labelSafe(`inferencemodel.${'b'.repeat(80)}`)).not.toBe(long);
    expect(labelSafe('-_-')).toMatch(/^[a-f0-9]{10}$/);
  });

  it('makes Service names that are DNS-1035 labels', () => {
    expect(modelNames('llama.3.1')).toEqual({
      deployment: 'model-llama-3-1',
      service: 'model-llama-3-1',
    });
    const name = serviceSafeName('model', 'x'.repeat(100));
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^[a-z]([-a-z0-9]*[a-z0-9])?$/);
  });
});

describe('quantities', () => {
  it.each([
    ['4Gi', 4 * 2 ** 30],
    ['500m', 0.5],
    ['2', 2],
    [3, 3],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['1e3', 1000],
    ['2k', 2000],
    ['nonsense', undefined],
    [undefined, undefined],
  ])('%s is %s', (text, value) => {
    expect(parseQuantity(text)).toBe(value);
  });

  it('compares by amount, and refuses what is not a quantity', () => {
    expect(sameQuantity('1Gi', '1024Mi')).toBe(true);
    expect(sameQuantity('1', 1)).toBe(true);
    expect(sameQuantity('1', {})).toBe(false);
    expect(sameQuantity('x', 'x')).toBe(false);
  });

  it('formats and describes bytes', () => {
    expect(formatBytes(4 * 2 ** 30)).toBe('4Gi');
    expect(formatBytes(4026531840)).toBe('3840Mi');
    expect(formatBytes(1000)).toBe('1000');
    expect(describeBytes(4026531840)).toBe('3.75 GiB');
    expect(describeBytes(2048)).toBe('2 KiB');
    expect(describeBytes(3 * 2 ** 20)).toBe('3 MiB');
    expect(describeBytes(12)).toBe('12 B');
  });

  it('sizes a model at modelBytes × headroomFactor (1.3 by default) and requests that much', () => {
    expect(modelMemory({ modelBytes: 1000 })).toEqual({ needed: 1300, limit: undefined });
    expect(memoryRequestFor(undefined, { needed: 2 ** 30, limit: undefined })).toEqual({
      requests: { memory: '1Gi' },
    });
    expect(
      memoryRequestFor({ requests: { memory: '3Gi', cpu: 2 } }, { needed: 1, limit: 1 }),
    ).toEqual({ requests: { memory: '3Gi', cpu: '2' } });
  });
});

describe('egress destinations', () => {
  it.each([
    [{ provider: 'openai' }, { type: 'external', host: 'api.openai.com', port: 443 }],
    [{ provider: 'mock' }, undefined],
    [{ provider: 'local' }, undefined],
    [
      { provider: 'openai-compatible', baseURL: 'http://10.0.0.5/v1' },
      { type: 'ip', cidr: '10.0.0.5/32', port: 80, host: '10.0.0.5' },
    ],
    [
      { provider: 'openai-compatible', baseURL: 'https://[fd00::1]:8443/v1' },
      { type: 'ip', cidr: 'fd00::1/128', port: 8443, host: 'fd00::1' },
    ],
    [
      { provider: 'local', baseURL: 'http://model-x.team.svc:8080/v1' },
      { type: 'in-cluster', host: 'model-x.team.svc', port: 8080 },
    ],
  ] as const)('%o → %o', (target, destination) => {
    expect(destinationOf(target)).toEqual(destination);
  });

  it('reads bare names and cluster.local as in-cluster, and bad URLs as nothing', () => {
    expect(isInCluster('redis')).toBe(true);
    expect(isInCluster('redis.data.svc.cluster.local')).toBe(true);
    expect(isInCluster('redis.data')).toBe(false);
    expect(destinationOfUrl('not a url')).toBeUndefined();
  });
});
