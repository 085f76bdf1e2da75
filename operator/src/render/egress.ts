/**
 * Where the gateway's routes send traffic, classified for the egress NetworkPolicy: external
 * hostnames (NetworkPolicy cannot name hosts: they become a port rule plus an annotation),
 * IP literals (ipBlocks), and in-cluster services.
 */
import { isInCluster } from '../../../crds/egress-settings.ts';
import type { RouteTarget } from '../../../crds/provider-route.ts';

export { isInCluster };

/** Public endpoints of the providers when a target sets no baseURL (as the dataplane's SDKs use). */
export const PROVIDER_BASE_URLS: Readonly<Record<string, string>> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
  groq: 'https://api.groq.com',
};

export type Destination =
  | { type: 'external'; host: string; port: number }
  | { type: 'ip'; cidr: string; port: number; host: string }
  | { type: 'in-cluster'; host: string; port: number };

/** The destination of a target, or undefined when it needs no network (mock, in-process). */
export function destinationOf(
  target: Pick<RouteTarget, 'provider' | 'baseURL'>,
): Destination | undefined {
  const base = target.baseURL ?? PROVIDER_BASE_URLS[target.provider];
  if (base === undefined) return undefined;
  return destinationOfUrl(base);
}

export function destinationOfUrl(url: string): Destination | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const port = parsed.port === '' ? (parsed.protocol === 'http:' ? 80 : 443) : Number(parsed.port);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return { type: 'ip', cidr: `${host}/32`, port, host };
  if (host.includes(':')) return { type: 'ip', cidr: `${host}/128`, port, host };
  if (isInCluster(host)) return { type: 'in-cluster', host, port };
  return { type: 'external', host, port };
}
