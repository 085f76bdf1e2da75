import { describe, expect, it } from 'vitest';
import { planInformers } from './manager.ts';
import { registrations } from './registrations.ts';
import { CUSTOM_RESOURCES } from './runtime/resources.ts';

describe('the registrations', () => {
  it('run one controller per kind of crds/ (which the RBAC table grants), and the gateway', () => {
    expect(registrations.flatMap((r) => (r.for === undefined ? [] : [r.for]))).toEqual(
      CUSTOM_RESOURCES,
    );
    expect(registrations.map((r) => r.name)).toEqual([
      'inferencemodel',
      'promptmanifest',
      'providerroute',
      'tenantbudget',
      'mcpgateway',
      'gateway',
    ]);
  });

  it('watch the kinds and referenced types whole, and the types they only own by label', () => {
    const plan = planInformers(registrations).map(
      ({ type, labelSelector }) =>
        `${type.plural}${labelSelector === undefined ? '' : ` (${labelSelector})`}`,
    );
    expect(plan).toEqual([
      'inferencemodels',
      'promptmanifests',
      'providerroutes',
      'tenantbudgets',
      'mcpgateways',
      'deployments (app.kubernetes.io/managed-by=inference-operator)',
      'services (app.kubernetes.io/managed-by=inference-operator)',
      'configmaps',
      'secrets',
      'networkpolicies (app.kubernetes.io/managed-by=inference-operator)',
    ]);
  });
});
