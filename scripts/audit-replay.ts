/**
 * Re-derives the decision an audit receipt records from the decision config its `config`
 * checksum names (docs/audit.md): the route's chain of targets, the prompt's checksum and the
 * price of what was served (a sandbox tenant's: the mock target, no price). Checks each
 * against the receipt.
 *
 *   node scripts/audit-replay.ts RECEIPT.json --config DECISION.json
 *   node scripts/audit-replay.ts RECEIPT.json --redis redis://HOST:PORT [--prefix P]
 *
 * RECEIPT.json: a receipt, or an export line that holds one. DECISION.json: what
 * `GET /api/v1/audit/configs/{checksum}` answers. Prints the replay as JSON and exits 0 when
 * everything matches, 1 when something does not, 2 on a usage error.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { parse as parseYaml } from 'yaml';
import { nanoToUsd } from '../crds/budget-period.ts';
import { promptChecksum } from '../crds/checksum.ts';
import { GatewaySettings } from '../crds/gateway-settings.ts';
import { PricingFile } from '../crds/pricing.ts';
import { pricingProblem } from '../crds/pricing-check.ts';
import { parsePromptManifest } from '../crds/prompts/manifest.ts';
import { RedisAuditStore } from '../dataplane/src/audit/redis-store.ts';
import { costOf, createPriceTable } from '../dataplane/src/budget/pricing.ts';
import { CONTRACT_FILES, PROMPTS_PREFIX, RoutesFile } from '../dataplane/src/config/contract.ts';
import { decisionChecksum, type DecisionDocument } from '../dataplane/src/config/decision.ts';
import { SANDBOX_TARGET } from '../dataplane/src/config/sandbox.ts';
import { parseWith } from '../dataplane/src/config/validate.ts';

interface Target {
  target: string;
  provider: string;
  model: string;
}

export interface Replay {
  ok: boolean;
  config: { checksum: string; ok: boolean };
  route?: { alias: string; chain: Target[]; ok: boolean };
  prompt?: { id: string; version: string; checksum: string; ok: boolean };
  cost?: { cost_usd: string; pricing: string | undefined; ok: boolean };
}

/** The decision of `receipt` as `document` makes it, each part checked against the receipt. */
export function replay(receipt: Record<string, unknown>, document: DecisionDocument): Replay {
  const config = { checksum: decisionChecksum(document), ok: false };
  config.ok = config.checksum === receipt['config'];
  const result: Replay = { ok: config.ok, config };
  const yaml = (path: string): unknown => {
    const text = document.files[path];
    return text === undefined ? undefined : parseYaml(text);
  };

  // A sandbox tenant (gateway.yaml `sandbox`, docs/sandbox.md) is served by one mock target on
  // every alias, at no price; the receipt must say it was one exactly when the config does.
  const gateway = yaml(CONTRACT_FILES.gateway);
  const sandbox =
    gateway === undefined
      ? undefined
      : parseWith(GatewaySettings, gateway, CONTRACT_FILES.gateway).sandbox;
  const sandboxModel = sandbox?.tenants.includes(String(receipt['tenant']))
    ? sandbox.model
    : undefined;
  const sandboxed = sandboxModel !== undefined;
  const alias = (receipt['route'] ?? receipt['model']) as string | undefined;
  if (alias !== undefined) {
    const routes = parseWith(RoutesFile, yaml(CONTRACT_FILES.routes) ?? {}, CONTRACT_FILES.routes);
    const spec = routes.routes.find((route) => route.alias === alias);
    const chain: Target[] =
      sandboxModel !== undefined
        ? [{ target: SANDBOX_TARGET, provider: 'mock', model: sandboxModel }]
        : (spec?.targets ?? []).map((target) => ({
            target: target.name,
            provider: target.provider,
            model: target.model ?? document.env[target.modelFrom?.env ?? ''] ?? '',
          }));
    const attempts = (receipt['attempts'] ?? []) as Target[];
    const ok =
      spec !== undefined &&
      followsChain(attempts, chain) &&
      sandboxed === (receipt['sandbox'] === true);
    result.route = { alias, chain, ok };
  }

  const prompt = receipt['prompt'] as { id: string; version: string; checksum: string } | undefined;
  if (prompt !== undefined) {
    const spec = Object.entries(document.files)
      .filter(([path]) => path.startsWith(PROMPTS_PREFIX))
      .map(([path, text]) => parsePromptManifest(text, path))
      .find((manifest) => manifest.id === prompt.id && manifest.version === prompt.version);
    const checksum = spec === undefined ? '' : promptChecksum(spec);
    result.prompt = { ...prompt, checksum, ok: checksum === prompt.checksum };
  }

  const served = receipt['served'] as Target | undefined;
  const usage = receipt['usage'] as
    { input_tokens: number; output_tokens: number; cached_tokens: number } | undefined;
  const pricingFile = sandboxed ? undefined : yaml(CONTRACT_FILES.pricing);
  if (receipt['cost_usd'] !== undefined && served !== undefined && usage !== undefined) {
    const parsed =
      pricingFile === undefined
        ? undefined
        : parseWith(PricingFile, pricingFile, CONTRACT_FILES.pricing);
    // A pricing file whose checksum does not hold prices nothing (as the dataplane refuses it).
    const file = parsed !== undefined && pricingProblem(parsed) === undefined ? parsed : undefined;
    const price =
      file &&
      createPriceTable(file.prices, file.checksum).priceOf(
        served.provider,
        served.model,
        Date.parse(String(receipt['at'])),
      );
    const cost =
      price === undefined
        ? 0
        : costOf(
            {
              inputTokens: usage.input_tokens,
              outputTokens: usage.output_tokens,
              cachedTokens: usage.cached_tokens,
            },
            price,
          );
    const costUsd = nanoToUsd(cost);
    result.cost = {
      cost_usd: costUsd,
      pricing: price?.checksum,
      ok: costUsd === receipt['cost_usd'] && price?.checksum === receipt['pricing'],
    };
  }
  result.ok = [result.config, result.route, result.prompt, result.cost].every(
    (part) => part?.ok ?? true,
  );
  return result;
}

/** Whether the attempts went down the chain in its order (a target tried again stays in place). */
function followsChain(attempts: readonly Target[], chain: readonly Target[]): boolean {
  let at = 0;
  for (const attempt of attempts) {
    while (at < chain.length && chain[at]?.target !== attempt.target) at++;
    const target = chain[at];
    if (
      target === undefined ||
      target.provider !== attempt.provider ||
      target.model !== attempt.model
    )
      return false;
  }
  return true;
}

export async function main(args: readonly string[]): Promise<{ code: number; output: string }> {
  const [file, flag, source, prefixFlag, prefix] = args;
  if (file === undefined || source === undefined || (flag !== '--config' && flag !== '--redis'))
    return usage();
  if (prefixFlag !== undefined && (prefixFlag !== '--prefix' || prefix === undefined))
    return usage();
  const line = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const receipt = (line['type'] === 'receipt' ? line['receipt'] : line) as Record<string, unknown>;
  let document: DecisionDocument | undefined;
  if (flag === '--config') document = JSON.parse(readFileSync(source, 'utf8')) as DecisionDocument;
  else {
    const redis = new Redis(source, { lazyConnect: true });
    try {
      await redis.connect();
      document = await new RedisAuditStore(redis, { prefix: () => prefix ?? '' }).getConfig(
        String(receipt['config']),
      );
    } finally {
      redis.disconnect();
    }
  }
  if (document === undefined)
    return { code: 1, output: `no decision config ${String(receipt['config'])} is kept` };
  const result = replay(receipt, document);
  return { code: result.ok ? 0 : 1, output: JSON.stringify(result, null, 2) };
}

function usage(): { code: number; output: string } {
  return {
    code: 2,
    output:
      'usage: node scripts/audit-replay.ts RECEIPT.json (--config DECISION.json | --redis URL [--prefix P])',
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { code, output } = await main(process.argv.slice(2));
  (code === 0 ? console.log : console.error)(output);
  process.exitCode = code;
}
