// `kubectl explain` against the test cluster's API server, which publishes the CRDs' schemas as
// OpenAPI: a field of each kind, down to nested ones, answers with its type and description.
// (crds/generate.test.ts checks that every field of every schema has a description; an anyOf
// field such as costUSD, integer or string, is an <Object> to kubectl.)
import { describe, expect, inject, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import { installCrds } from '../support/crds.ts';
import { eventually } from '../support/eventually.ts';
import { kubectl } from './helm.ts';

const clusterOff = process.env['INFERENCE_TEST_CLUSTER'] === 'off';

const PATHS: [string, string, RegExp][] = [
  ['inferencemodels.spec.runtime', '<string>', /runtime/i],
  ['inferencemodels.spec.rollout.strategy', '<string>', /./],
  ['inferencemodels.status.conditions', '<[]Object>', /./],
  ['providerroutes.spec.targets.timeoutMs', '<integer>', /./],
  ['providerroutes.spec.fallbackOn', '<[]string>', /./],
  ['promptmanifests.spec.checksum', '<string>', /SHA-256/i],
  ['tenantbudgets.spec.limits.costUSD', '<Object>', /US dollars/],
  ['tenantbudgets.spec.onExceed.action', '<string>', /./],
  ['mcpgateways.spec.servers.allowedTools', '<[]string>', /./],
  ['mcpgateways.spec.fallback.timeoutMs', '<integer>', /./],
];

describe.skipIf(clusterOff)('kubectl explain', () => {
  const kubeconfig = clusterOff ? '' : inject('kubeconfig');

  it.each(PATHS)('describes %s (%s)', async (path, type, text) => {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    await installCrds(kc);
    // Discovery learns a CRD just established after a moment.
    const result = await eventually(async () => {
      const explained = await kubectl(
        ['explain', path, '--api-version', 'inference.enis.io/v1alpha1'],
        kubeconfig,
      );
      return explained.code === 0 ? explained : undefined;
    }, 15_000);
    expect(result.stderr).toBe('');
    const field = path.split('.').at(-1)!;
    expect(result.stdout).toContain(`FIELD: ${field} ${type}`);
    const description = /DESCRIPTION:\n([\s\S]*?)(\n\n|$)/.exec(result.stdout)?.[1]?.trim() ?? '';
    expect(description.length).toBeGreaterThan(10);
    expect(description).toMatch(text);
  });
});
