/**
 * Every controller the manager runs, one registration each (controllers/<kind>.registration.ts).
 * The kinds come in the order of crds/index.ts, whose kinds the RBAC table grants (a test holds
 * the two lists equal), then the namespace's gateway.
 */
import { registration as gateway } from './controllers/gateway.registration.ts';
import { registration as inferenceModel } from './controllers/inference-model.registration.ts';
import { registration as mcpGateway } from './controllers/mcp-gateway.registration.ts';
import { registration as promptManifest } from './controllers/prompt-manifest.registration.ts';
import { registration as providerRoute } from './controllers/provider-route.registration.ts';
import { registration as tenantBudget } from './controllers/tenant-budget.registration.ts';
import type { Registration } from './registration.ts';

export const registrations: readonly Registration[] = [
  inferenceModel,
  promptManifest,
  providerRoute,
  tenantBudget,
  mcpGateway,
  gateway,
];
