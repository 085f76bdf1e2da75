import { TLSSocket } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import type { ConfigSnapshot } from '../config/snapshot.ts';
import { ApiError } from '../errors/api-error.ts';
import {
  checkStillValid,
  verifyClientCertificate,
  type ClientCertificate,
} from '../security/client-certificate.ts';
import { identityAllowed } from '../security/client-identity.ts';
import type { TlsListener } from './tls-listener.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified client certificate of the connection (mTLS), if it presented one. */
    clientCertificate: ClientCertificate | undefined;
  }
}

/**
 * Checks the client certificate of every route that declares `config.scope`, before the token:
 * `gateway.tls.clientCertificates` says whether one is needed (`required`) or only checked when
 * presented (`optional`), and `gateway.tls.clientIdentities[scope]` which identities may use
 * the routes of that scope. A connection's verdict is kept until the CA bundle changes.
 * Also refuses every scoped route while the listener's protocol is not the one the served
 * contract asks for, so a token is never accepted over plain HTTP when TLS is configured.
 */
export function installClientCertificates(
  app: FastifyInstance,
  config: () => ConfigSnapshot | undefined,
  listener: TlsListener,
  now: () => number = Date.now,
): void {
  const verdicts = new WeakMap<
    TLSSocket,
    { material: string; certificate: ClientCertificate | undefined }
  >();
  app.decorateRequest('clientCertificate', undefined);
  app.addHook('onRequest', async (request) => {
    const scope = request.routeOptions.config.scope;
    const snapshot = config();
    if (scope === undefined || snapshot === undefined) return;
    if (listener.mismatch !== undefined)
      throw new ApiError('NOT_READY', listener.mismatch, { retryAfterS: 5 });
    const settings = snapshot.gateway.tls;
    const material = snapshot.tls;
    if (material === undefined || settings.clientCertificates === 'off') return;

    const socket = request.raw.socket;
    if (!(socket instanceof TLSSocket)) return;
    const nowMs = now();
    let verdict = verdicts.get(socket);
    if (verdict?.material === material.id) {
      if (verdict.certificate !== undefined) checkStillValid(verdict.certificate, nowMs);
    } else {
      const handshakeCurrent = listener.handshakeMaterial(socket) === material.id;
      const certificate = verifyClientCertificate(
        socket,
        material.authorities,
        handshakeCurrent,
        nowMs,
      );
      verdict = { material: material.id, certificate };
      verdicts.set(socket, verdict);
    }

    const { certificate } = verdict;
    const allowed = settings.clientIdentities[scope];
    if (certificate === undefined) {
      if (settings.clientCertificates === 'required' || allowed !== undefined) {
        throw new ApiError('UNAUTHENTICATED', 'A client certificate is required.', {
          details: { reason: 'client_certificate_missing' },
        });
      }
      return;
    }
    if (allowed !== undefined && !identityAllowed(certificate.identity, allowed)) {
      throw new ApiError('FORBIDDEN', `Client identity is not allowed scope ${scope}.`, {
        details: { scope, reason: 'client_identity_not_allowed' },
      });
    }
    request.clientCertificate = certificate;
  });
}
