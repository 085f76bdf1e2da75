/**
 * What the model-server pods behind a colour's Service say, for a rollout to move on: the
 * ready endpoints of its EndpointSlices, each one's `/readyz` (the version it serves and the
 * swap it last refused or failed), and a smoke request through one pod serving the version
 * wanted: a one-token chat, or an embedding for an embeddings model. Every call is bounded by
 * a timeout; nothing here throws, a failure is reported as what it is.
 */
import type { ColorProbe } from '../controllers/model-rollout.ts';
import type { KubeClient } from './kube-client.ts';
import type { KubeObject } from './objects.ts';
import { EndpointSlices } from './resources.ts';

export type ModelProber = (
  namespace: string,
  service: string,
  model: string,
  version: string,
) => Promise<ColorProbe>;

interface EndpointSlice {
  addressType?: string;
  ports?: { name?: string; port?: number }[] | null;
  endpoints?: { addresses: string[]; conditions?: { ready?: boolean | null } }[] | null;
}

/** The model server's `/readyz` body (model-server/server.ts). */
interface Readiness {
  version?: string;
  task?: string;
  swap?: { result?: string; reason?: string; message?: string; to?: string };
}

export interface ModelProbeOptions {
  /** Lists the ready `host:port` of a Service's pods. */
  endpoints: (namespace: string, service: string) => Promise<string[]>;
  fetch?: typeof fetch;
  /** Each HTTP call's deadline. @default 3000 */
  timeoutMs?: number;
}

/** The ready `address:port` of a Service's pods, from its EndpointSlices. */
export function endpointsFromSlices(client: KubeClient) {
  return async (namespace: string, service: string): Promise<string[]> => {
    const list = await client.list<KubeObject & EndpointSlice>(EndpointSlices, namespace, {
      labelSelector: `kubernetes.io/service-name=${service}`,
    });
    return list.items.flatMap((slice) => readyAddresses(slice));
  };
}

export function readyAddresses(slice: EndpointSlice): string[] {
  const port = slice.ports?.find((p) => p.name === 'http')?.port ?? slice.ports?.[0]?.port;
  if (port === undefined) return [];
  const host = (address: string) => (slice.addressType === 'IPv6' ? `[${address}]` : address);
  return (slice.endpoints ?? [])
    .filter((e) => e.conditions?.ready !== false)
    .flatMap((e) => e.addresses.map((a) => `${host(a)}:${String(port)}`));
}

export function modelProber(options: ModelProbeOptions): ModelProber {
  const timeoutMs = options.timeoutMs ?? 3000;
  const http = options.fetch ?? fetch;
  const call = (url: string, init: RequestInit = {}) =>
    http(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });

  return async (namespace, service, model, version) => {
    let endpoints: string[];
    try {
      endpoints = await options.endpoints(namespace, service);
    } catch (error) {
      return { endpoints: 0, serving: {}, error: `its endpoints: ${(error as Error).message}` };
    }
    if (endpoints.length === 0)
      return { endpoints: 0, serving: {}, error: `${service} has no ready endpoints` };
    const serving: Record<string, number> = {};
    let swapProblem: ColorProbe['swapProblem'];
    let candidate: { endpoint: string; task: string | undefined } | undefined;
    const failures: string[] = [];
    for (const endpoint of endpoints) {
      try {
        const response = await call(`http://${endpoint}/readyz`);
        const body = (await response.json()) as Readiness;
        const served = body.version;
        if (served === undefined) {
          failures.push(`${endpoint} serves no version (${String(response.status)})`);
          continue;
        }
        serving[served] = (serving[served] ?? 0) + 1;
        if (served === version) candidate ??= { endpoint, task: body.task };
        swapProblem ??= problemOf(body.swap);
      } catch (error) {
        failures.push(`${endpoint}: ${(error as Error).message}`);
      }
    }
    const error = failures.length === 0 ? undefined : failures.join('; ');
    const result: ColorProbe = {
      endpoints: endpoints.length,
      serving,
      ...(swapProblem === undefined ? {} : { swapProblem }),
      ...(error === undefined ? {} : { error }),
    };
    if (candidate === undefined) return result;
    return { ...result, smoke: await smoke(call, candidate.endpoint, candidate.task, model) };
  };
}

function problemOf(swap: Readiness['swap']): ColorProbe['swapProblem'] {
  if (swap?.to === undefined) return undefined;
  const result = swap.result;
  if (result !== 'refused' && result !== 'failed' && result !== 'rolled_back') return undefined;
  return {
    version: swap.to,
    result,
    reason: swap.reason ?? 'SwapFailed',
    message: swap.message ?? result,
  };
}

/** One request as an application would send it, through the pod; ok when it answers. */
async function smoke(
  call: (url: string, init?: RequestInit) => Promise<Response>,
  endpoint: string,
  task: string | undefined,
  model: string,
): Promise<{ ok: boolean; message: string }> {
  const embeddings = task === 'embeddings';
  const path = embeddings ? '/v1/embeddings' : '/v1/chat/completions';
  const body = embeddings
    ? { model, input: 'smoke test' }
    : { model, messages: [{ role: 'user', content: 'Say OK.' }], max_tokens: 1 };
  try {
    const response = await call(`http://${endpoint}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) {
      const code = /"code"\s*:\s*"([A-Z_]+)"/.exec(text)?.[1];
      return {
        ok: false,
        message: `${path} answered ${String(response.status)} ${code ?? ''}`.trim(),
      };
    }
    return { ok: true, message: `${path} answered ${String(response.status)} from ${endpoint}` };
  } catch (error) {
    return { ok: false, message: `${path}: ${(error as Error).message}` };
  }
}
