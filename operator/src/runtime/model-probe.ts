/**
 * What the model-server pods behind a colour's Service say, for a rollout to move on: the
 * ready endpoints of its EndpointSlices, each one's `/readyz` (the version it serves and the
 * swap it last refused or failed, and its memory reading), and, during a rollout, a smoke
 * request through one pod serving the version wanted: a one-token chat, or an embedding for an
 * embeddings model. Every call is bounded by
 * a timeout; nothing here throws, a failure is reported as what it is. A model with spec.tls is
 * asked over HTTPS only: its pods are verified by the CA bundle and the name of their colour's
 * Service, and the operator presents the gateway's client certificate, which their ca.crt
 * trusts. Without that material the probe says so, never asks in plaintext.
 */
import { Agent, fetch as undiciFetch } from 'undici';
import type { ColorProbe } from '../controllers/model-rollout.ts';
import type { KubeClient } from './kube-client.ts';
import type { KubeObject } from './objects.ts';
import { EndpointSlices } from './resources.ts';

/**
 * Asks the pods of a colour's Service; `version` is the one a smoke request is for (sent
 * through a pod that serves it), undefined for none (a steady state's look at the pods).
 */
export type ModelProber = (
  namespace: string,
  service: string,
  model: string,
  version: string | undefined,
  tls?: ProbeTls,
) => Promise<ColorProbe>;

/**
 * mTLS towards a model server (PEM text): the bundle its serving certificate must chain to,
 * the client certificate and key presented, and the name its certificate must carry (the
 * endpoints are pod IPs). A part undefined: the Secret it comes from does not hold it yet.
 */
export interface ProbeTls {
  ca: string | undefined;
  cert: string | undefined;
  key: string | undefined;
  serverName: string;
}

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
  memory?: { headroomRatio?: number; headroomLow?: boolean };
}

export interface ModelProbeOptions {
  /** Lists the ready `host:port` of a Service's pods. */
  endpoints: (namespace: string, service: string) => Promise<string[]>;
  /**
   * The fetch of plain-HTTP probes (a test's stand-in maps pod addresses with it). A probe over
   * mTLS does not use it: it connects with an undici Agent of its own, holding the client
   * certificate, so a stand-in cannot redirect it.
   * @default globalThis.fetch
   */
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

/** The requests a probe sends: a GET, or a JSON POST. */
interface ProbeInit {
  method?: 'POST';
  headers?: Record<string, string>;
  body?: string;
}
/** What a probe reads of an answer (global fetch's Response and undici's both have it). */
interface ProbeResponse {
  ok: boolean;
  status: number;
  json(): Promise<unknown>;
  text(): Promise<string>;
}
type Call = (url: string, init?: ProbeInit) => Promise<ProbeResponse>;

export function modelProber(options: ModelProbeOptions): ModelProber {
  const timeoutMs = options.timeoutMs ?? 3000;
  const http = options.fetch ?? fetch;
  return async (namespace, service, model, version, tls) => {
    if (tls === undefined) {
      const call: Call = (url, init = {}) =>
        http(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
      return probe(options, 'http', call, namespace, service, model, version);
    }
    const { ca, cert, key, serverName } = tls;
    if (ca === undefined || cert === undefined || key === undefined) {
      return {
        endpoints: 0,
        serving: {},
        error:
          'the model serves mTLS and the gateway client certificate (Secret inference-tls-client) is not issued yet',
      };
    }
    const agent = new Agent({
      connect: {
        ca,
        cert,
        key,
        servername: serverName,
        minVersion: 'TLSv1.2',
        rejectUnauthorized: true,
      },
    });
    const call: Call = async (url, init = {}) =>
      await undiciFetch(url, {
        ...init,
        dispatcher: agent,
        signal: AbortSignal.timeout(timeoutMs),
      });
    try {
      return await probe(options, 'https', call, namespace, service, model, version);
    } finally {
      await agent.close();
    }
  };
}

async function probe(
  options: ModelProbeOptions,
  scheme: 'http' | 'https',
  call: Call,
  namespace: string,
  service: string,
  model: string,
  version: string | undefined,
): Promise<ColorProbe> {
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
  let headroomLow: ColorProbe['headroomLow'];
  const failures: string[] = [];
  for (const endpoint of endpoints) {
    try {
      const response = await call(`${scheme}://${endpoint}/readyz`);
      const body = (await response.json()) as Readiness;
      const served = body.version;
      if (served === undefined) {
        failures.push(`${endpoint} serves no version (${String(response.status)})`);
        continue;
      }
      serving[served] = (serving[served] ?? 0) + 1;
      if (served === version) candidate ??= { endpoint, task: body.task };
      swapProblem ??= problemOf(body.swap);
      const ratio = body.memory?.headroomRatio;
      if (body.memory?.headroomLow === true && ratio !== undefined) {
        headroomLow = {
          pods: (headroomLow?.pods ?? 0) + 1,
          lowestRatio: Math.min(ratio, headroomLow?.lowestRatio ?? ratio),
        };
      }
    } catch (error) {
      failures.push(`${endpoint}: ${describe(error)}`);
    }
  }
  const error = failures.length === 0 ? undefined : failures.join('; ');
  const result: ColorProbe = {
    endpoints: endpoints.length,
    serving,
    ...(swapProblem === undefined ? {} : { swapProblem }),
    ...(headroomLow === undefined ? {} : { headroomLow }),
    ...(error === undefined ? {} : { error }),
  };
  if (candidate === undefined) return result;
  return {
    ...result,
    smoke: await smoke(call, `${scheme}://${candidate.endpoint}`, candidate.task, model),
  };
}

/** An error's message with its cause's (fetch reports a TLS refusal as the cause). */
function describe(error: unknown): string {
  const message = (error as Error).message;
  const cause = (error as { cause?: { message?: string; code?: string } }).cause;
  if (cause === undefined) return message;
  return `${message} (${cause.code ?? cause.message ?? ''})`;
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

/** One request as an application would send it, through the pod (`origin`); ok when it answers. */
async function smoke(
  call: Call,
  origin: string,
  task: string | undefined,
  model: string,
): Promise<{ ok: boolean; message: string }> {
  const embeddings = task === 'embeddings';
  const path = embeddings ? '/v1/embeddings' : '/v1/chat/completions';
  const body = embeddings
    ? { model, input: 'smoke test' }
    : { model, messages: [{ role: 'user', content: 'Say OK.' }], max_tokens: 1 };
  try {
    const response = await call(`${origin}${path}`, {
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
    return { ok: true, message: `${path} answered ${String(response.status)} from ${origin}` };
  } catch (error) {
    return { ok: false, message: `${path}: ${describe(error)}` };
  }
}
