import { traceIdOf } from './tracing.ts';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, isApiError } from '../errors/api-error.ts';
import { toApiError } from '../errors/to-api-error.ts';
import { wwwAuthenticate } from '../security/authn-errors.ts';

/** Fastify's own error codes for a client's mistake, and the code each becomes. */
const FASTIFY_CLIENT_ERRORS: Readonly<Record<string, () => ApiError>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () =>
    new ApiError('PAYLOAD_TOO_LARGE', 'The request body exceeds the size limit.'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    new ApiError('UNSUPPORTED_MEDIA_TYPE', 'The body must be application/json.'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    new ApiError('BAD_REQUEST', 'The Content-Length header does not match the body.'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () =>
    new ApiError('BAD_REQUEST', 'The body is empty but the content type is application/json.'),
  FST_ERR_CTP_INVALID_JSON_BODY: () => new ApiError('BAD_REQUEST', 'The body is not valid JSON.'),
};

/** Anything thrown while handling a request, fastify's own errors included, in the vocabulary. */
export function requestError(error: unknown): ApiError {
  if (isApiError(error)) return error;
  const fastifyError = error as Partial<FastifyError> & { validation?: unknown[] };
  if (fastifyError.validation !== undefined) return validationError(fastifyError);
  const known =
    fastifyError.code === undefined ? undefined : FASTIFY_CLIENT_ERRORS[fastifyError.code];
  if (known !== undefined) return known();
  if (error instanceof SyntaxError)
    return new ApiError('BAD_REQUEST', 'The body is not valid JSON.');
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode < 500) {
    return new ApiError('BAD_REQUEST', fastifyError.message ?? 'Bad request.');
  }
  return toApiError(error);
}

interface AjvIssue {
  instancePath?: string;
  message?: string;
  params?: { missingProperty?: string; additionalProperty?: string };
}

function validationError(error: Partial<FastifyError> & { validation?: unknown[] }): ApiError {
  const issue = (error.validation?.[0] ?? {}) as AjvIssue;
  const context = (error as { validationContext?: string }).validationContext ?? 'body';
  const extra = issue.params?.missingProperty ?? issue.params?.additionalProperty;
  const pointer = `${issue.instancePath ?? ''}${extra === undefined ? '' : `/${extra}`}`;
  const path = `${context}${pointer.replaceAll('/', '.')}`;
  const reason = issue.params?.additionalProperty === undefined ? issue.message : 'is not allowed';
  return new ApiError('BAD_REQUEST', `${path} ${reason ?? 'is invalid'}`, { details: { path } });
}

/**
 * Installs the error, not-found and serialisation handlers so that every error leaves as an
 * ErrorBody with `x-request-id`, never as a stack trace. `onError` runs before the answer
 * leaves (the audit receipt of a refusal); it must not throw.
 */
export function installErrorHandling(
  app: FastifyInstance,
  onError?: (request: FastifyRequest, error: ApiError) => Promise<void>,
): void {
  app.setErrorHandler(async (error, request, reply) => {
    const apiError = requestError(error);
    await onError?.(request, apiError);
    if (apiError.code === 'INTERNAL') request.log.error({ err: error }, 'Request failed');
    if (apiError.retryAfterS !== undefined) reply.header('retry-after', apiError.retryAfterS);
    const challenge = wwwAuthenticate(apiError);
    if (challenge !== undefined) reply.header('www-authenticate', challenge);
    return reply
      .code(apiError.status)
      .type('application/json')
      .send(apiError.toBody(request.id, traceIdOf(request)));
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new ApiError('NOT_FOUND', `No route for ${request.method} ${request.url}.`);
    return reply.code(error.status).send(error.toBody(request.id, traceIdOf(request)));
  });
}
