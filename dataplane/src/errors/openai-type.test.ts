import { describe, expect, it } from 'vitest';
import { ApiError } from './api-error.ts';
import { openAIErrorType, openAIParam } from './openai-type.ts';

describe("OpenAI's error type and param", () => {
  it('follow the status as OpenAI types its errors', () => {
    expect(
      [400, 401, 402, 403, 404, 409, 413, 422, 429, 500, 503].map((status) =>
        openAIErrorType(status),
      ),
    ).toEqual([
      'invalid_request_error',
      'authentication_error',
      'insufficient_quota',
      'permission_error',
      'not_found_error',
      'conflict_error',
      'invalid_request_error',
      'invalid_request_error',
      'rate_limit_error',
      'server_error',
      'server_error',
    ]);
  });

  it('name the parameter a provider refused, else the schema path without its body root', () => {
    expect(openAIParam({ provider: 'local', parameter: 'response_format' })).toBe(
      'response_format',
    );
    expect(openAIParam({ path: 'body.messages.0.content' })).toBe('messages.0.content');
    expect(openAIParam({ path: 'body' })).toBeNull();
    expect(openAIParam(undefined)).toBeNull();
  });

  it('ride in every error body beside our code', () => {
    const body = new ApiError('BUDGET_EXCEEDED', 'over').toBody('r1');
    expect(body.error).toMatchObject({
      code: 'BUDGET_EXCEEDED',
      type: 'insufficient_quota',
      param: null,
      request_id: 'r1',
    });
  });
});
