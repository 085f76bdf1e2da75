/** The five kinds of inference.enis.io/v1alpha1, in the order docs and generated files list them. */
import type { KindDescriptor } from './common.ts';
import { inferenceModelKind } from './inference-model.ts';
import { mcpGatewayKind } from './mcp-gateway.ts';
import { promptManifestKind } from './prompt-manifest.ts';
import { providerRouteKind } from './provider-route.ts';
import { tenantBudgetKind } from './tenant-budget.ts';

export const kinds: readonly KindDescriptor[] = [
  inferenceModelKind,
  promptManifestKind,
  providerRouteKind,
  tenantBudgetKind,
  mcpGatewayKind,
];

export * from './common.ts';
export * from './inference-model.ts';
export * from './mcp-gateway.ts';
export * from './prompt-manifest.ts';
export * from './provider-route.ts';
export * from './tenant-budget.ts';
export { promptChecksum } from './checksum.ts';
