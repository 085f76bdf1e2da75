import { describe, expect, it } from 'vitest';
import { chartFiles, rbacTemplate } from '../chart-files.ts';
import { grantedPermissions, isGranted, recordUse, usedPermissions } from './rbac.ts';
import { ConfigMaps, Leases, ProviderRoutes } from './resources.ts';

describe('the RBAC table', () => {
  it('grants what the runtime uses, status through its subresource only', () => {
    expect(isGranted(ProviderRoutes, 'watch')).toBe(true);
    expect(isGranted(ProviderRoutes, 'patch', 'status')).toBe(true);
    expect(isGranted(ProviderRoutes, 'patch')).toBe(false); // never spec
    expect(isGranted(Leases, 'update')).toBe(true);
    expect(isGranted(ConfigMaps, 'update')).toBe(false);
  });

  it('refuses a request it does not grant before it is sent, and records what was used', () => {
    expect(() => {
      recordUse(ProviderRoutes, 'delete');
    }).toThrow('does not grant delete on inference.enis.io/providerroutes');
    recordUse(ConfigMaps, 'list');
    expect(usedPermissions().has('|configmaps|list')).toBe(true);
    expect(grantedPermissions()).toContain('coordination.k8s.io|leases|get');
  });

  it('is what the chart installs: a ClusterRole for the watched namespaces and a Role for the Lease', async () => {
    const template = rbacTemplate();
    expect(template).toContain('kind: ClusterRole\n');
    expect(template).toContain('kind: Role\n');
    expect(template).toContain('      - providerroutes/status');
    expect(template).toContain('{{- if .Values.rbac.create }}');
    const files = await chartFiles();
    expect(Object.keys(files)).toContain('charts/inference-service/templates/operator-rbac.yaml');
    const crd = files['charts/inference-service/crds/providerroutes.inference.enis.io.yaml'] ?? '';
    const { parse } = await import('yaml');
    const { readFileSync } = await import('node:fs');
    const generated = readFileSync(
      new URL('../../../crds/generated/providerroutes.inference.enis.io.yaml', import.meta.url),
      'utf8',
    );
    expect(parse(crd)).toEqual(parse(generated));
  });
});
