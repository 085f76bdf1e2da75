// Hot reload under constant load: a ProviderRoute's chain, a prompt's version and a budget are
// changed with `kubectl apply` while eight clients (sync requests and SSE streams) run; the
// dataplane picks each change up within a few seconds of it reaching the directory, with no
// failed request and no broken stream. Then the operator is restarted under the same load and
// writes nothing but the budget spend the load moved. The apply → served times are printed (docs/e2e.md quotes them).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { promptChecksum } from '../../crds/checksum.ts';
import { startLoad, percentile, type Load, type LoadClient } from './load.ts';
import {
  CHECKSUM_ANNOTATION,
  CONTRACT,
  eventually,
  resource,
  startLoop,
  type Loop,
} from './loop.ts';
import { listResources } from './resources.ts';

const clusterOff = process.env['INFERENCE_TEST_CLUSTER'] === 'off';

const liveRoute = (text: string) =>
  resource('ProviderRoute', 'live', {
    alias: 'live',
    targets: [{ name: 'mock', provider: 'mock', model: `fixed?text=${text}&chunks=20&gapMs=10` }],
  });
const echoRoute = resource('ProviderRoute', 'echo', {
  alias: 'echo',
  targets: [{ name: 'mock', provider: 'mock', model: 'echo?gapMs=10' }],
});
function greet(version: string): object {
  const spec = {
    id: 'greet',
    version,
    description: 'The hot-reload test prompt; its text names its version.',
    slices: [{ name: 'ask', role: 'user' as const, text: `v${version} {{message}}` }],
    variables: {
      type: 'object' as const,
      required: ['message'],
      properties: { message: { type: 'string' } },
    },
    parameters: { model: 'echo' },
  };
  return resource('PromptManifest', 'greet', { ...spec, checksum: promptChecksum(spec) });
}
const budget = (tokens: number) =>
  resource('TenantBudget', 'acme', { tenant: 'acme', period: 'monthly', limits: { tokens } });

const ask = [{ role: 'user', content: 'go' }];
const liveCheck = (text: string): string | undefined => {
  const words = text.split(' ');
  return words.length === 20 && new Set(words).size === 1 && /^[A-Z]$/.test(words[0] ?? '')
    ? undefined
    : 'not 20 times one letter';
};
const greetCheck = (text: string): string | undefined =>
  /^Echo: v1\.\d+\.0 hi$/.test(text) ? undefined : 'not the greet prompt echoed';

const CLIENTS: LoadClient[] = [
  ...[1, 2].map((n) => ({
    name: `sync-live-${n}`,
    mode: 'sync' as const,
    body: { model: 'live', messages: ask },
    check: liveCheck,
  })),
  ...[1, 2].map((n) => ({
    name: `stream-live-${n}`,
    mode: 'stream' as const,
    body: { model: 'live', messages: ask },
    check: liveCheck,
  })),
  ...[1, 2].map((n) => ({
    name: `sync-prompt-${n}`,
    mode: 'sync' as const,
    body: { prompt: { id: 'greet', variables: { message: 'hi' } } },
    check: greetCheck,
  })),
  ...[1, 2].map((n) => ({
    name: `stream-prompt-${n}`,
    mode: 'stream' as const,
    body: { prompt: { id: 'greet', variables: { message: 'hi' } } },
    check: greetCheck,
  })),
];

interface Change {
  what: 'route' | 'prompt' | 'budget';
  object: object;
  /** The volume the change reaches. */
  source: string;
  /** Whether the dataplane now behaves as changed. */
  served: () => Promise<boolean>;
}

interface Measured {
  what: string;
  /** kubectl apply started → kubectl exited. */
  kubectlMs: number;
  /** kubectl apply started → the changed payload swapped into the directory. */
  toDirectoryMs: number;
  /** kubectl apply started → the first answer that shows the change. */
  toServedMs: number;
}

let loop: Loop;
let token: string;
let load: Load | undefined;
const measured: Measured[] = [];

async function answer(body: object): Promise<string> {
  const response = await loop.post('/api/v1/inference', body, token);
  if (response.status !== 200) return `HTTP ${response.status}`;
  return ((await response.json()) as { output: { content: string } }).output.content;
}

function changes(): Change[] {
  const list: Change[] = [];
  ['B', 'C', 'D'].forEach((letter, index) => {
    const minor = index + 1;
    // A knob of the reload, far above what the load spends (the guard enforces it).
    const tokens = 1_000_000_000 + 1000 * index;
    list.push(
      {
        what: 'route',
        object: liveRoute(letter),
        source: `ConfigMap/${CONTRACT.config}`,
        served: async () =>
          (await answer({ model: 'live', messages: ask, parameters: { max_tokens: 1 } })) ===
          letter,
      },
      {
        what: 'prompt',
        object: greet(`1.${minor}.0`),
        source: `ConfigMap/${CONTRACT.prompts}`,
        served: async () =>
          (await answer({
            prompt: { id: 'greet', variables: { message: 'hi' } },
            parameters: { max_tokens: 2 },
          })) === `Echo: v1.${minor}.0`,
      },
      {
        what: 'budget',
        object: budget(tokens),
        source: `ConfigMap/${CONTRACT.config}`,
        served: () =>
          Promise.resolve(
            loop.app.services.config.current?.budgets.get('acme')?.limits.tokens === tokens,
          ),
      },
    );
  });
  return list;
}

/** resourceVersion of everything the operator renders or reports on in the namespace. */
async function resourceVersions(): Promise<Map<string, string>> {
  const versions = new Map<string, string>();
  const add = (
    kind: string,
    items: { metadata?: { name?: string; resourceVersion?: string } }[],
  ) => {
    for (const item of items)
      versions.set(`${kind}/${item.metadata?.name ?? ''}`, item.metadata?.resourceVersion ?? '');
  };
  const selector = {
    namespace: loop.namespace,
    labelSelector: 'app.kubernetes.io/managed-by=inference-operator',
  };
  add('ConfigMap', (await loop.core.listNamespacedConfigMap(selector)).items);
  add('Secret', (await loop.core.listNamespacedSecret(selector)).items);
  add('Service', (await loop.core.listNamespacedService(selector)).items);
  add('Deployment', (await loop.apps.listNamespacedDeployment(selector)).items);
  add('NetworkPolicy', (await loop.networking.listNamespacedNetworkPolicy(selector)).items);
  // A TenantBudget's status reports the spend, which the load moves: compared apart.
  for (const kind of ['ProviderRoute', 'PromptManifest'] as const) {
    const items = await listResources(loop, kind);
    add(kind, items);
  }
  return versions;
}

/** The TenantBudgets' status without the spend the load moves (spentTokens, spentUSD, messages). */
async function budgetStatusesBesidesSpend(): Promise<unknown[]> {
  const items = (await listResources(loop, 'TenantBudget')) as { status?: object }[];
  const spend = new Set(['spentUSD', 'spentTokens', 'remainingUSD']);
  return items.map(({ status = {} }) =>
    Object.fromEntries(
      Object.entries(status)
        .filter(([key]) => !spend.has(key))
        // The WithinBudget condition's message says the spend too.
        .map(([key, value]) => [
          key,
          key === 'conditions'
            ? (value as Record<string, unknown>[]).map((condition) =>
                Object.fromEntries(
                  Object.entries(condition).filter(([name]) => name !== 'message'),
                ),
              )
            : value,
        ]),
    ),
  );
}

async function operatorWrites(): Promise<number> {
  const { values } = await loop.operator().metrics.apiWrites.get();
  // Lease renewals are leader election's heartbeat, not reconcile work; a TenantBudget's
  // status write reports the spend the load moved since (checked apart).
  return values
    .filter((v) => v.labels.resource !== 'leases' && v.labels.resource !== 'tenantbudgets')
    .reduce((sum, v) => sum + v.value, 0);
}

describe.skipIf(clusterOff)('hot reload under load', () => {
  beforeAll(async () => {
    loop = await startLoop({
      kubeconfig: inject('kubeconfig'),
      clusterDir: inject('clusterDir'),
      redisUrl: inject('redisUrl'),
      prefix: 'e2e-reload',
    });
    token = await loop.token();
    await loop.apply([liveRoute('A'), echoRoute, greet('1.0.0'), budget(900_000_000)]);
    await eventually(async () => {
      const config = await loop.core.readNamespacedConfigMap({
        namespace: loop.namespace,
        name: CONTRACT.config,
      });
      const ready = await loop.readyz();
      return ready.config_checksum === config.metadata?.annotations?.[CHECKSUM_ANNOTATION] &&
        ready.routes.length === 2 &&
        ready.prompts_loaded === 1
        ? true
        : undefined;
    }, 30_000);
    expect(await answer({ model: 'live', messages: ask, parameters: { max_tokens: 1 } })).toBe('A');
  }, 90_000);

  afterAll(async () => {
    await load?.stop();
    await loop.stop();
  });

  it('picks up route, prompt and budget changes within seconds, without a failed request or a broken stream', async () => {
    const swaps: number[] = [];
    loop.app.services.config.on('swapped', () => swaps.push(Date.now()));
    load = startLoad({ url: loop.url, token, clients: CLIENTS, maxDurationMs: 90_000 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const change of changes()) {
      const started = Date.now();
      await loop.apply([change.object]);
      const kubectlMs = Date.now() - started;
      const servedAt = await eventually(
        async () => ((await change.served()) ? Date.now() : undefined),
        15_000,
        20,
      );
      const write = loop.projection
        .history()
        .find((w) => w.source === change.source && w.at >= started);
      expect(write, `${change.what}: no write of ${change.source}`).toBeDefined();
      const toDirectoryMs = (write?.at ?? Number.NaN) - started;
      measured.push({
        what: change.what,
        kubectlMs,
        toDirectoryMs,
        toServedMs: servedAt - started,
      });
      // Picked up within a few seconds of reaching the directory.
      expect(servedAt - (write?.at ?? 0)).toBeLessThan(3000);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const progress = load.stats();
    expect(progress.failures).toEqual([]);
    // Every version was served, and streams were open across the swaps (else "no broken
    // stream" would prove nothing).
    expect(swaps.length).toBeGreaterThanOrEqual(measured.length);
    const seen = (client: string) => [...(progress.texts.get(client)?.keys() ?? [])];
    const letters = new Set(['sync-live-1', 'sync-live-2'].flatMap(seen).map((t) => t[0]));
    expect([...letters].sort()).toEqual(['A', 'B', 'C', 'D']);
    const versions = new Set(['sync-prompt-1', 'sync-prompt-2'].flatMap(seen));
    expect(versions.size).toBe(4);
    const straddling = progress.streamSpans.filter((span) =>
      swaps.some((at) => span.start < at && at < span.end),
    ).length;
    expect(straddling).toBeGreaterThan(0);

    const rows = measured.map(
      (m) =>
        `${m.what.padEnd(6)} kubectl ${String(m.kubectlMs).padStart(5)} ms  → directory ${String(m.toDirectoryMs).padStart(5)} ms  → served ${String(m.toServedMs).padStart(5)} ms`,
    );
    const served = measured.map((m) => m.toServedMs);
    const directory = measured.map((m) => m.toDirectoryMs);
    const dirToServed = measured.map((m) => m.toServedMs - m.toDirectoryMs);
    console.info(
      [
        `apply → served over ${measured.length} changes under load (${CLIENTS.length} clients):`,
        ...rows,
        `apply → served    p50 ${percentile(served, 50)} ms, max ${Math.max(...served)} ms`,
        `apply → directory p50 ${percentile(directory, 50)} ms, max ${Math.max(...directory)} ms`,
        `directory → served p50 ${percentile(dirToServed, 50)} ms, max ${Math.max(...dirToServed)} ms`,
        `${straddling} streams were open across a swap; ${progress.streams} streams, ${progress.total} requests so far, 0 failed`,
      ].join('\n'),
    );
  }, 90_000);

  it('restarting the operator mid-way writes nothing but the spend it reports, and drops no request', async () => {
    expect(load).toBeDefined();
    await loop.operator().idle();
    // Settled: nothing moves for a second before the restart.
    const before = await eventually(async () => {
      const first = await resourceVersions();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const second = await resourceVersions();
      return JSON.stringify([...first]) === JSON.stringify([...second]) ? second : undefined;
    }, 20_000);
    const budgetsBefore = await budgetStatusesBesidesSpend();
    const directoryWrites = loop.projection.history().length;
    const servedChecksum = (await loop.readyz()).config_checksum;
    const completedBefore = load?.stats().total ?? 0;

    await loop.stopOperator();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const operator = await loop.startOperator();
    await eventually(() => Promise.resolve(operator.isLeader() ? true : undefined), 15_000);
    await operator.idle();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await operator.idle();

    expect(await operatorWrites()).toBe(0);
    expect(await resourceVersions()).toEqual(before);
    expect(await budgetStatusesBesidesSpend()).toEqual(budgetsBefore);
    expect(loop.projection.history()).toHaveLength(directoryWrites);
    expect((await loop.readyz()).config_checksum).toBe(servedChecksum);

    const stats = await load!.stop();
    load = undefined;
    expect(stats.failures).toEqual([]);
    expect(stats.total).toBeGreaterThan(completedBefore);
    expect(stats.streams).toBeGreaterThan(20);
    console.info(
      `load: ${stats.total} requests, ${stats.streams} streams, ${stats.failures.length} failures; ` +
        [...stats.completed].map(([name, n]) => `${name} ${n}`).join(', '),
    );
  }, 60_000);
});
