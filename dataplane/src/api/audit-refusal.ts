import type { FastifyRequest } from 'fastify';
import type { Services } from '../engine/services.ts';
import type { ApiError } from '../errors/api-error.ts';
import { contextOf } from './request-context.ts';

/**
 * The receipt of a request to a pipeline surface that was refused before the pipeline sealed
 * it (authentication, scope, validation, overload): written before the error leaves. One the
 * store does not take is counted (`inference_audit_write_errors_total`) and the error goes on.
 */
export function auditRefusal(services: Services) {
  return async (request: FastifyRequest, error: ApiError): Promise<void> => {
    const surface = request.routeOptions.config.surface;
    if (surface === undefined) return;
    const context = contextOf(request);
    if (context !== undefined && services.audit.stage.sealed(context)) return;
    await services.audit
      .refused({
        tenant: request.principal?.tenant,
        principal: request.principal?.subject,
        requestId: request.id,
        surface,
        error,
      })
      .catch(() => {
        services.metrics.auditWriteErrors.inc();
      });
  };
}
