import { createHash } from 'node:crypto';
import { canonicalJson } from '../../../crds/canonical-json.ts';
import { CONTRACT_FILES, PROMPTS_PREFIX } from './contract.ts';

/**
 * The part of the config contract that decisions depend on, and no secret: gateway.yaml,
 * routes.yaml, budgets.yaml, pricing.yaml, mcp.yaml, the prompt manifests, and the values of the
 * environment variables routes read their models from. An audit receipt names it by
 * checksum; the dataplane keeps it content-addressed so that a decision can be replayed.
 */
export interface DecisionConfig {
  readonly checksum: string;
  readonly document: DecisionDocument;
}

export interface DecisionDocument {
  /** Path → content, as the contract holds the files. */
  readonly files: Readonly<Record<string, string>>;
  /** `modelFrom.env` name → the value it had. */
  readonly env: Readonly<Record<string, string>>;
}

const DECISION_FILES: ReadonlySet<string> = new Set([
  CONTRACT_FILES.gateway,
  CONTRACT_FILES.routes,
  CONTRACT_FILES.budgets,
  CONTRACT_FILES.pricing,
  CONTRACT_FILES.mcp,
]);

export function decisionConfig(
  files: ReadonlyMap<string, string>,
  env: Readonly<Record<string, string>>,
): DecisionConfig {
  const kept: Record<string, string> = {};
  for (const [path, content] of files) {
    if (DECISION_FILES.has(path) || path.startsWith(PROMPTS_PREFIX)) kept[path] = content;
  }
  const document = { files: kept, env };
  return { checksum: decisionChecksum(document), document };
}

/** `sha256:` and the hex SHA-256 of the document's RFC 8785 canonical JSON. */
export function decisionChecksum(document: DecisionDocument): string {
  return `sha256:${createHash('sha256').update(canonicalJson(document), 'utf8').digest('hex')}`;
}
