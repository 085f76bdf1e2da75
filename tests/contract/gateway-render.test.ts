// The operator's side of the config contract against the dataplane's: what the gateway
// reconcile renders, laid out as a gateway pod mounts it, is a snapshot the dataplane's own
// loader accepts, with the same routes, credentials, default model and keyring.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePricing } from '../../crds/pricing-check.ts';
import { buildSnapshot } from '../../dataplane/src/config/snapshot.ts';
import { reconcileGateway } from '../../operator/src/controllers/gateway.ts';
import { configChecksum } from '../../operator/src/render/config-contract.ts';
import { prompt, route } from '../../operator/test/fixtures.ts';
import { mountedFiles, observed } from '../../operator/test/gateway-observed.ts';

describe('the config contract the gateway reconcile renders', () => {
  it('loads in the dataplane with its routes, credentials, default model and resume keyring', () => {
    const files = mountedFiles(reconcileGateway(observed()).desired);
    const snapshot = buildSnapshot({ files, checksum: configChecksum(files) }, {});
    expect([...snapshot.routes.keys()]).toEqual(['chat']);
    expect(snapshot.routes.get('chat')?.targets[1]?.apiKey).toBe('sk-1');
    expect(snapshot.gateway.defaultModel).toBe('chat');
    expect(snapshot.resumeKeys.active).toBe('resume-1');
  });

  it("carries the chart's pricing file, which the dataplane loads with its checksum", () => {
    const path = new URL('../../charts/inference-service/files/pricing.yaml', import.meta.url);
    const pricing = readFileSync(path, 'utf8');
    const files = mountedFiles(reconcileGateway(observed({}, { pricing })).desired);
    const snapshot = buildSnapshot({ files, checksum: configChecksum(files) }, {});
    expect(snapshot.pricing).toEqual(parsePricing(pricing, 'chart'));
  });

  it('loads when no rendered route serves the default model', () => {
    const { desired } = reconcileGateway(
      observed({ routes: [route('other', { alias: 'other' })] }),
    );
    expect(() => buildSnapshot({ files: mountedFiles(desired), checksum: 'x' }, {})).not.toThrow();
  });

  it('loads with a bad prompt, a duplicate alias and an unresolved model left out', () => {
    const { desired } = reconcileGateway(
      observed({
        prompts: [prompt('tampered', { description: 'changed' })],
        routes: [
          route('a', { alias: 'chat' }, '2026-01-01T00:00:00Z'),
          route('b', { alias: 'chat' }, '2026-01-02T00:00:00Z'),
          route('c', {
            alias: 'c',
            targets: [{ name: 't', provider: 'openai', modelFrom: { env: 'UNSET' } }],
          }),
        ],
      }),
    );
    const snapshot = buildSnapshot({ files: mountedFiles(desired), checksum: 'x' }, {});
    expect([...snapshot.routes.keys()]).toEqual(['chat']);
  });
});
