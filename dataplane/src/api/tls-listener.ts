import type { ServerOptions } from 'node:https';
import type { Server as TlsServer, SecureContextOptions, TLSSocket } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { Gauge } from 'prom-client';
import type { ConfigSnapshot } from '../config/snapshot.ts';
import type { TlsMaterial } from '../config/tls-material.ts';
import type { Services } from '../engine/services.ts';
import { MODERN_CIPHERS } from '../core/tls-ciphers.ts';
import type { ReadinessReport } from './health.ts';

/** What the rest of the app asks of the listener. */
export interface TlsListener {
  /** Whether the listener speaks TLS: decided at start, for the life of the process. */
  readonly encrypted: boolean;
  /** The id of the material a socket's handshake ran with. */
  handshakeMaterial(socket: TLSSocket): string | undefined;
  /** Why the served contract and the listener disagree (restart needed), if they do. */
  readonly mismatch: string | undefined;
  /** The material being served (undefined on plain HTTP). */
  readonly material: TlsMaterial | undefined;
}

/** The secure context of `material`: what `setSecureContext` swaps in (model-server/tls.ts too). */
export function secureContext(material: TlsMaterial): SecureContextOptions {
  return {
    cert: material.cert,
    key: material.key,
    ...(material.ca === undefined ? {} : { ca: material.ca }),
    minVersion: 'TLSv1.2',
    ciphers: MODERN_CIPHERS,
    honorCipherOrder: true,
  };
}

/**
 * The https options of fastify for the snapshot served at start, or undefined for plain HTTP.
 * A client certificate is asked for when the mode is not `off`, and never required by the
 * handshake itself (`rejectUnauthorized: false`): the route decides, so that a refusal is the
 * closed vocabulary on the wire rather than a TLS alert, and health probes need none.
 */
export function httpsOptions(snapshot: ConfigSnapshot | undefined): ServerOptions | undefined {
  if (snapshot?.tls === undefined) return undefined;
  return {
    ...secureContext(snapshot.tls),
    requestCert: snapshot.gateway.tls.clientCertificates !== 'off',
    rejectUnauthorized: false,
  };
}

/**
 * Keeps the listener's certificates those of the served snapshot: each swap with new material
 * calls `setSecureContext`, which applies to new handshakes only, so open connections and
 * streams are untouched. A refused snapshot swaps nothing (the old pair keeps serving). Sets
 * `inference_tls_certificate_expiry_timestamp_seconds{certificate="serving"|"ca"}`.
 */
export function installTlsListener(app: FastifyInstance, services: Services): TlsListener {
  const started = services.config.current?.tls;
  const encrypted = started !== undefined;
  const server = app.server as unknown as TlsServer;
  const handshakes = new WeakMap<TLSSocket, string>();
  const expiry = new Gauge({
    name: 'inference_tls_certificate_expiry_timestamp_seconds',
    help: 'When the served TLS certificate (serving) and the earliest CA of the client bundle (ca) expire, in Unix seconds.',
    labelNames: ['certificate'] as const,
    registers: [services.metrics.registry],
  });
  let material = started;
  let mismatch: string | undefined;

  const observe = (served: TlsMaterial | undefined) => {
    expiry.reset();
    if (served === undefined) return;
    expiry.set({ certificate: 'serving' }, served.expiries.serving / 1000);
    if (served.expiries.ca !== undefined)
      expiry.set({ certificate: 'ca' }, served.expiries.ca / 1000);
  };
  observe(material);
  if (encrypted) {
    server.on('secureConnection', (socket: TLSSocket) => {
      if (material !== undefined) handshakes.set(socket, material.id);
    });
  }

  const swap = (snapshot: ConfigSnapshot) => {
    const wanted = snapshot.tls;
    mismatch =
      (wanted !== undefined) === encrypted
        ? undefined
        : `gateway.yaml tls.enabled is ${String(!encrypted)} but the listener started as ${encrypted ? 'HTTPS' : 'plain HTTP'}: restart the dataplane.`;
    if (wanted === undefined || !encrypted) return;
    // Read per connection by node's TLS server (not a documented option after construction).
    (server as TlsServer & { requestCert: boolean }).requestCert =
      snapshot.gateway.tls.clientCertificates !== 'off';
    if (wanted.id === material?.id) return;
    server.setSecureContext(secureContext(wanted));
    material = wanted;
    observe(material);
    app.log.info(
      { servingNotAfter: new Date(wanted.expiries.serving).toISOString() },
      'Swapped TLS certificates',
    );
  };
  services.config.on('swapped', swap);
  if (services.config.current !== undefined) swap(services.config.current);

  return {
    encrypted,
    handshakeMaterial: (socket) => handshakes.get(socket),
    get mismatch() {
      return mismatch;
    },
    get material() {
      return material;
    },
  };
}

/** `/readyz`'s `tls` detail; not ready while the listener and the contract disagree. */
export function withTlsReadiness(report: ReadinessReport, listener: TlsListener): ReadinessReport {
  const { material, mismatch } = listener;
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return {
    ready: report.ready && mismatch === undefined,
    details: {
      ...report.details,
      tls: {
        listener: listener.encrypted ? 'https' : 'http',
        serving_not_after: iso(material?.expiries.serving),
        ca_not_after: iso(material?.expiries.ca),
        error: mismatch ?? null,
      },
    },
  };
}
