import { ApiError } from '../errors/api-error.ts';

/**
 * A request parameter a target cannot honour (`response_format`, `seed`, `tools`, `image_url`,
 * `dimensions`), refused before any call is made (UPSTREAM_BAD_REQUEST naming the parameter).
 * The router moves on to the next target of the chain, one that may honour it, whatever the
 * route's `fallbackOn`: the parameter is never dropped, and no circuit breaker counts it.
 */
export class UnsupportedParameter extends ApiError {
  readonly parameter: string;

  constructor(provider: string, parameter: string, message: string) {
    super('UPSTREAM_BAD_REQUEST', message, { details: { provider, parameter } });
    this.name = 'UnsupportedParameter';
    this.parameter = parameter;
  }
}
