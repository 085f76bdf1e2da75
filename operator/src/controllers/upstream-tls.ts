/**
 * A ProviderRoute target's outbound TLS (`targets[].tls`, crds/upstream-tls.ts): its files
 * resolved from the referenced Secrets, or from the gateway's own operator-issued client
 * certificate, and checked the way the dataplane checks them (PEM, CA bundle of CAs, key
 * matching its certificate, all within their validity). A target whose material does not
 * resolve is left out of the rendered chain, never rendered without it: the dataplane would
 * refuse the whole contract, or worse, call it in plaintext. UpstreamTLSReady says which and
 * when each certificate expires. A `local` target without baseURL is the model server of its
 * InferenceModel: with `tls` it needs a model that serves mTLS (spec.tls), and a model that
 * does needs `tls` on every target that calls it (its server refuses a caller without a
 * client certificate); either mismatch leaves the target out with a reason.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type {
  ProviderRoute,
  ProviderRouteSpec,
  RouteTarget,
} from '../../../crds/provider-route.ts';
import { upstreamFiles, type UpstreamFile } from '../../../crds/upstream-tls.ts';
import { verdict, type Verdict } from './conditions.ts';
import type { NamespaceRefs } from './types.ts';

/** The gateway's client certificate Secret (`inference-tls-client`), decoded; undefined: none. */
export type GatewayClientFiles = Readonly<
  Partial<Record<'tls.crt' | 'tls.key' | 'ca.crt', string>>
>;

export interface UpstreamTlsContext {
  /** Present only when the operator issues the gateway's certificates (INFERENCE_TLS=operator). */
  gatewayClient: GatewayClientFiles | undefined;
  nowMs: number;
}

export type TargetTlsResolution =
  | {
      ok: true;
      /** `upstream-tls/` file name → PEM. */
      files: ReadonlyMap<string, string>;
      notAfter: { client?: number; ca?: number };
      /** What each part comes from, for messages. */
      sources: { client?: string; ca?: string };
    }
  | { ok: false; reason: string; message: string };

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;
const GATEWAY_CLIENT_SECRET = 'inference-tls-client';

/** The material of one target with `tls`, or why it is not usable. */
export function resolveTargetTls(
  target: RouteTarget,
  refs: NamespaceRefs,
  context: UpstreamTlsContext,
): TargetTlsResolution {
  const fail = (reason: string, message: string): TargetTlsResolution => ({
    ok: false,
    reason,
    message: `Target ${target.name}: ${message}`,
  });
  const tls = target.tls;
  if (servedByModel(target)) {
    const model = target.model ?? '';
    const servesTls = refs.tlsModels?.has(model) ?? false;
    if (tls === undefined && servesTls) {
      return fail(
        'ModelServerRequiresTLS',
        `the model server of InferenceModel ${model} serves mTLS only (spec.tls), so the target needs tls: {ca: {gateway: true}, clientCertificate: {gateway: true}}.`,
      );
    }
    if (tls !== undefined && !servesTls) {
      // Never call a plaintext server with tls declared, nor fail every request on a handshake.
      return fail(
        'ModelServerTLSUnavailable',
        `the model server of InferenceModel ${model} serves no TLS (its spec.tls is unset), so tls needs it set, or an https:// baseURL that serves it.`,
      );
    }
  }
  if (tls === undefined) return { ok: true, files: new Map(), notAfter: {}, sources: {} };
  const files = new Map<string, string>();
  const text: Partial<Record<UpstreamFile['part'], { pem: string; from: string }>> = {};
  for (const file of upstreamFiles(tls)) {
    const pem = read(file, refs, context);
    if (typeof pem !== 'string') return fail(pem.reason, pem.message);
    files.set(file.file, pem);
    text[file.part] = {
      pem,
      from:
        file.from === undefined
          ? `Secret ${GATEWAY_CLIENT_SECRET}`
          : `Secret ${file.from.secretName}`,
    };
  }
  const notAfter: { client?: number; ca?: number } = {};
  if (text.ca !== undefined) {
    const bundle = parse(text.ca.pem);
    if (bundle === undefined || bundle.length === 0)
      return fail(
        'CertificateInvalid',
        `the CA bundle (ca.crt of ${text.ca.from}) holds no valid PEM certificate.`,
      );
    for (const cert of bundle) {
      if (!cert.ca)
        return fail(
          'CertificateInvalid',
          `ca.crt of ${text.ca.from} holds ${cert.subject}, which is not a CA.`,
        );
      const problem = validity(cert, context.nowMs);
      if (problem !== undefined)
        return fail(
          problem.reason,
          `the CA ${cert.subject} of ${text.ca.from} ${problem.message}.`,
        );
    }
    notAfter.ca = Math.min(...bundle.map((cert) => cert.validToDate.getTime()));
  }
  if (text.cert !== undefined && text.key !== undefined) {
    const leaf = parse(text.cert.pem)?.[0];
    if (leaf === undefined)
      return fail(
        'CertificateInvalid',
        `tls.crt of ${text.cert.from} holds no valid PEM certificate.`,
      );
    const problem = validity(leaf, context.nowMs);
    if (problem !== undefined)
      return fail(
        problem.reason,
        `the client certificate of ${text.cert.from} ${problem.message}.`,
      );
    let matches = false;
    try {
      matches = leaf.checkPrivateKey(createPrivateKey(text.key.pem));
    } catch {
      return fail('CertificateInvalid', `tls.key of ${text.key.from} is not a PEM private key.`);
    }
    if (!matches)
      return fail('KeyMismatch', `tls.key of ${text.key.from} does not match its tls.crt.`);
    notAfter.client = leaf.validToDate.getTime();
  }
  return {
    ok: true,
    files,
    notAfter,
    sources: {
      ...(text.cert === undefined ? {} : { client: text.cert.from }),
      ...(text.ca === undefined ? {} : { ca: text.ca.from }),
    },
  };
}

/** A local target whose endpoint is its InferenceModel's model server (no baseURL of its own). */
function servedByModel(target: RouteTarget): boolean {
  return target.provider === 'local' && target.baseURL === undefined;
}

/** Whether the target's own model server serves mTLS (its rendered baseURL is https). */
export function modelServesTls(target: RouteTarget, refs: NamespaceRefs): boolean {
  return servedByModel(target) && (refs.tlsModels?.has(target.model ?? '') ?? false);
}

function read(
  file: UpstreamFile,
  refs: NamespaceRefs,
  context: UpstreamTlsContext,
): string | { reason: string; message: string } {
  if (file.from === undefined) {
    const key = file.part === 'ca' ? 'ca.crt' : file.part === 'cert' ? 'tls.crt' : 'tls.key';
    const pem = context.gatewayClient?.[key];
    if (pem === undefined) {
      return {
        reason: 'GatewayCertificateUnavailable',
        message: `tls names the gateway's own ${file.part === 'ca' ? 'CA bundle' : 'client certificate'}, which exists only when the operator issues certificates (INFERENCE_TLS=operator) and once it has issued them (Secret ${GATEWAY_CLIENT_SECRET}).`,
      };
    }
    return pem;
  }
  const { secretName, key } = file.from;
  const data = refs.secrets.get(secretName);
  if (data === undefined)
    return {
      reason: 'SecretNotFound',
      message: `tls needs Secret ${secretName} (key ${key}), which does not exist.`,
    };
  const value = data[key];
  if (value === undefined)
    return {
      reason: 'SecretKeyNotFound',
      message: `tls needs key ${key} of Secret ${secretName}, which has no such key.`,
    };
  return Buffer.from(value, 'base64').toString('utf8');
}

function parse(pem: string): X509Certificate[] | undefined {
  try {
    return (pem.match(PEM_CERTIFICATE) ?? []).map((block) => new X509Certificate(block));
  } catch {
    return undefined;
  }
}

function validity(
  cert: X509Certificate,
  nowMs: number,
): { reason: string; message: string } | undefined {
  if (cert.validToDate.getTime() <= nowMs)
    return {
      reason: 'CertificateExpired',
      message: `expired at ${cert.validToDate.toISOString()}`,
    };
  if (cert.validFromDate.getTime() > nowMs)
    return {
      reason: 'CertificateNotYetValid',
      message: `is not valid before ${cert.validFromDate.toISOString()}`,
    };
  return undefined;
}

/**
 * UpstreamTLSReady of a route: undefined when no target has `tls` (the condition is then not
 * set); True with every certificate's expiry in the message; False naming the first target
 * whose material does not resolve, and whether the rest of the chain is served.
 */
export function upstreamTlsPolicy(
  route: ProviderRoute,
  refs: NamespaceRefs,
  context: UpstreamTlsContext,
): { verdict: Verdict; nextExpiryMs: number | undefined } | undefined {
  const secured = route.spec.targets.filter(
    (target) => target.tls !== undefined || modelServesTls(target, refs),
  );
  if (secured.length === 0) return undefined;
  const resolutions = secured.map((target) => ({
    target,
    resolution: resolveTargetTls(target, refs, context),
  }));
  const failed = resolutions.filter(({ resolution }) => !resolution.ok);
  const first = failed[0]?.resolution;
  if (first !== undefined && !first.ok) {
    const served =
      failed.length === route.spec.targets.length
        ? 'the route is not served'
        : `the chain is served without ${failed.map(({ target }) => target.name).join(', ')}`;
    return {
      verdict: verdict(
        'False',
        first.reason,
        `${first.message} Until it is fixed ${served}; the gateway never calls it without its TLS material.`,
      ),
      nextExpiryMs: undefined,
    };
  }
  const iso = (ms: number) => new Date(ms).toISOString();
  const parts: string[] = [];
  const expiries: number[] = [];
  for (const { target, resolution } of resolutions) {
    if (!resolution.ok) continue;
    const items: string[] = [];
    if (resolution.notAfter.client !== undefined) {
      items.push(
        `client certificate (${resolution.sources.client ?? ''}) expires ${iso(resolution.notAfter.client)}`,
      );
      expiries.push(resolution.notAfter.client);
    }
    if (resolution.notAfter.ca !== undefined) {
      items.push(
        `CA bundle (${resolution.sources.ca ?? ''}) expires ${iso(resolution.notAfter.ca)}`,
      );
      expiries.push(resolution.notAfter.ca);
    }
    if (items.length === 0) items.push(`server name ${target.tls?.serverName ?? ''}, system CAs`);
    parts.push(`${target.name}: ${items.join(', ')}`);
  }
  return {
    verdict: verdict(
      'True',
      'UpstreamTLSResolved',
      `Every target's TLS material is valid. ${parts.join('; ')}.`,
    ),
    nextExpiryMs: expiries.length === 0 ? undefined : Math.min(...expiries),
  };
}

/** `upstream-tls/` of the contract: the files of every rendered target with `tls`. */
export function upstreamTlsFiles(
  routes: readonly ProviderRouteSpec[],
  refs: NamespaceRefs,
  context: UpstreamTlsContext,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const route of routes) {
    for (const target of route.targets) {
      const resolution = resolveTargetTls(target, refs, context);
      if (resolution.ok) for (const [file, pem] of resolution.files) out.set(file, pem);
    }
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}
