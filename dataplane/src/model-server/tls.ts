/**
 * The model server's TLS (MODEL_TLS_DIR): the gateway's listener code applied to one directory
 * in cert-manager's layout (`tls.crt`, `tls.key`, `ca.crt`): the checks of
 * config/tls-material.ts, the secure context of api/tls-listener.ts and the client certificate
 * verdict of security/client-certificate.ts. Every route but the probes and `/metrics` needs a
 * client certificate that chains to `ca.crt` (`required`), or refuses one presented that does
 * not (`optional`), answered in the closed vocabulary (401 `UNAUTHENTICATED`), never a TLS
 * alert, so kubelet's HTTPS probes need none. The directory is watched: new material goes in
 * with `setSecureContext` for new handshakes (open connections and streams carry on), and
 * material that cannot serve is refused with the served one kept.
 */
import { watch, type FSWatcher } from 'node:fs';
import type { ServerOptions } from 'node:https';
import { TLSSocket, type Server as TlsServer } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { secureContext } from '../api/tls-listener.ts';
import { readConfigTree } from '../config/read-tree.ts';
import { readTlsMaterial, type TlsMaterial } from '../config/tls-material.ts';
import { ApiError } from '../errors/api-error.ts';
import {
  checkStillValid,
  verifyClientCertificate,
  type ClientCertificate,
} from '../security/client-certificate.ts';

export interface ModelServerTlsSettings {
  /** A Secret volume in cert-manager's layout: tls.crt, tls.key and ca.crt. */
  dir: string;
  /** @default 'required' */
  clientCertificates: 'optional' | 'required';
}

/** Routes that never need a client certificate: kubelet's probes and Prometheus. */
const PUBLIC_PATHS: ReadonlySet<string> = new Set(['/livez', '/readyz', '/healthz', '/metrics']);

/** Reads and checks the directory, or throws a ConfigError naming the file. */
export async function readModelServerTls(
  settings: ModelServerTlsSettings,
  nowMs: number = Date.now(),
): Promise<TlsMaterial> {
  const { files } = await readConfigTree([settings.dir]);
  const contract = new Map([...files].map(([path, text]) => [`tls/${path}`, text]));
  const material = readTlsMaterial(
    contract,
    { enabled: true, clientCertificates: settings.clientCertificates, clientIdentities: {} },
    nowMs,
  );
  // Only undefined for a disabled listener, which this never asks for.
  if (material === undefined) throw new Error('The model server read no TLS material.');
  return material;
}

/** fastify's `https` options: the handshake asks for a certificate and refuses none. */
export function modelServerHttps(material: TlsMaterial): ServerOptions {
  return { ...secureContext(material), requestCert: true, rejectUnauthorized: false };
}

export interface ModelServerTls {
  /** The material being served. */
  readonly material: TlsMaterial;
  /** Reads the directory again now; never throws (a refusal is logged). */
  reload(): Promise<void>;
}

/**
 * Checks client certificates on every request and keeps the material that of the directory.
 * The watch stops when the app closes.
 */
export function installModelServerTls(
  app: FastifyInstance,
  settings: ModelServerTlsSettings,
  initial: TlsMaterial,
  now: () => number = Date.now,
): ModelServerTls {
  const server = app.server as unknown as TlsServer;
  let material = initial;
  const handshakes = new WeakMap<TLSSocket, string>();
  const verdicts = new WeakMap<
    TLSSocket,
    { material: string; certificate: ClientCertificate | undefined }
  >();
  server.on('secureConnection', (socket: TLSSocket) => handshakes.set(socket, material.id));

  app.addHook('onRequest', async (request) => {
    if (PUBLIC_PATHS.has(request.url.split('?')[0] ?? '')) return;
    const socket = request.raw.socket;
    if (!(socket instanceof TLSSocket)) return;
    const nowMs = now();
    let verdict = verdicts.get(socket);
    if (verdict?.material === material.id) {
      if (verdict.certificate !== undefined) checkStillValid(verdict.certificate, nowMs);
    } else {
      const current = handshakes.get(socket) === material.id;
      verdict = {
        material: material.id,
        certificate: verifyClientCertificate(socket, material.authorities, current, nowMs),
      };
      verdicts.set(socket, verdict);
    }
    if (verdict.certificate === undefined && settings.clientCertificates === 'required') {
      throw new ApiError('UNAUTHENTICATED', 'A client certificate is required.', {
        details: { reason: 'client_certificate_missing' },
      });
    }
  });

  let reloading: Promise<void> | undefined;
  const reloadOnce = async () => {
    try {
      const next = await readModelServerTls(settings, now());
      if (next.id === material.id) return;
      server.setSecureContext(secureContext(next));
      material = next;
      app.log.info(
        { servingNotAfter: new Date(next.expiries.serving).toISOString() },
        'Swapped TLS certificates',
      );
    } catch (error) {
      app.log.warn({ reason: (error as Error).message }, 'Refused TLS reload');
    }
  };
  const reload = () => (reloading ??= reloadOnce().finally(() => (reloading = undefined)));

  let pending: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(settings.dir, { persistent: false }, () => {
      clearTimeout(pending);
      pending = setTimeout(() => void reload(), 100).unref();
    });
  } catch {
    // Picked up by the poll.
  }
  const poll = setInterval(() => void reload(), 5000).unref();
  app.addHook('onClose', () => {
    watcher?.close();
    clearInterval(poll);
    clearTimeout(pending);
  });

  return {
    get material() {
      return material;
    },
    reload,
  };
}
