import { describe, expect, it } from 'vitest';
import { openAIOutputLine } from './output.ts';

describe('OpenAI Batch output lines', () => {
  it('carry a failed request as its error response', () => {
    const line = openAIOutputLine('batch_x', 3, {
      status: 'failed',
      custom_id: 'req-3',
      attempts: 3,
      finished_at: 1,
      error: { code: 'UPSTREAM_TIMEOUT', message: 'slow', retryable: true },
    });
    expect(JSON.parse(line)).toEqual({
      id: 'batch_req_batch_x-3',
      custom_id: 'req-3',
      response: {
        status_code: 504,
        request_id: 'batch_x-3',
        body: { error: { message: 'slow', type: 'upstream_timeout', code: 'UPSTREAM_TIMEOUT' } },
      },
      error: null,
    });
  });

  it('carry a request that never ran as an error, with its index for a missing custom_id', () => {
    expect(
      JSON.parse(openAIOutputLine('batch_x', 7, { status: 'cancelled', attempts: 0 })),
    ).toEqual({
      id: 'batch_req_batch_x-7',
      custom_id: '7',
      response: null,
      error: {
        code: 'batch_cancelled',
        message: 'The batch was cancelled before this request ran.',
      },
    });
  });
});
