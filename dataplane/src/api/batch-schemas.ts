import { Type, type Static } from '@sinclair/typebox';
import { InferenceRequest, InferenceResponse } from './schemas.ts';

/** An item of a native batch: an inference request with an optional client id. */
export const BatchItem = Type.Object(
  {
    ...InferenceRequest.properties,
    custom_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 512,
        description: "The client's id of the item, echoed in its result; unique in the batch.",
      }),
    ),
  },
  { additionalProperties: false },
);

export const BatchSubmit = Type.Object(
  {
    task_id: Type.String({
      minLength: 1,
      maxLength: 128,
      pattern: '^[\\x21-\\x7e]+$',
      description:
        "The client's idempotency key: the same task_id with the same payload returns the same batch; with another payload it is a 409.",
    }),
    model: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        description: 'Model alias for the items that name none.',
      }),
    ),
    items: Type.Optional(Type.Array(BatchItem, { minItems: 1, maxItems: 100_000 })),
    jsonl: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'OpenAI Batch input instead of items: one `{custom_id, method: "POST", url: "/v1/chat/completions", body}` per line.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type BatchSubmit = Static<typeof BatchSubmit>;

export const BatchIdParams = Type.Object({
  batch_id: Type.String({ pattern: '^batch_[A-Za-z0-9_-]{1,64}$' }),
});
export type BatchIdParams = Static<typeof BatchIdParams>;

const Count = Type.Integer({ minimum: 0 });

export const Batch = Type.Object({
  id: Type.String(),
  object: Type.Literal('batch'),
  task_id: Type.String(),
  status: Type.Union(
    ['in_progress', 'completed', 'cancelling', 'cancelled'].map((status) => Type.Literal(status)),
  ),
  model: Type.Union([Type.String(), Type.Null()]),
  input_format: Type.Union([Type.Literal('items'), Type.Literal('openai')]),
  created_at: Type.Integer({ description: 'Unix seconds.' }),
  finished_at: Type.Union([Type.Integer(), Type.Null()]),
  request_counts: Type.Object({
    total: Count,
    succeeded: Count,
    failed: Count,
    cancelled: Count,
    pending: Count,
  }),
  dead_letters: Type.Integer({
    minimum: 0,
    description: 'Failed items waiting in the dead-letter queue for an operator.',
  }),
});

const Digits = (description: string) =>
  Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$', description }));

export const ResultsQuery = Type.Object({
  cursor: Digits('The `next_cursor` of the previous page.'),
  limit: Digits('Results per page, 1 to 1000. @default 100'),
  format: Type.Optional(
    Type.Union([Type.Literal('native'), Type.Literal('openai')], {
      description: '`openai`: OpenAI Batch output lines (application/x-ndjson). @default native',
    }),
  ),
});
export type ResultsQuery = Static<typeof ResultsQuery>;

const ItemError = Type.Object({
  code: Type.String(),
  message: Type.String(),
  retryable: Type.Boolean(),
});

const ResultHead = {
  index: Count,
  custom_id: Type.Optional(Type.String()),
  attempts: Type.Integer({ minimum: 0, description: 'Executions started for this item.' }),
};

export const ItemResult = Type.Union([
  Type.Object({
    ...ResultHead,
    status: Type.Literal('succeeded'),
    finished_at: Type.Integer(),
    response: InferenceResponse,
  }),
  Type.Object({
    ...ResultHead,
    status: Type.Literal('failed'),
    finished_at: Type.Integer(),
    error: ItemError,
  }),
  Type.Object({ ...ResultHead, status: Type.Literal('cancelled') }),
]);

export const ResultsPage = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(ItemResult),
  next_cursor: Type.Union([Type.String(), Type.Null()], {
    description: 'Pass as `cursor` for the next page; null after the last item.',
  }),
});

export const DeadLettersQuery = Type.Object({
  tenant: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  cursor: Digits('The `next_cursor` of the previous page.'),
  limit: Digits('Entries per page, 1 to 1000. @default 100'),
});
export type DeadLettersQuery = Static<typeof DeadLettersQuery>;

export const DeadLetter = Type.Object({
  batch_id: Type.String(),
  index: Count,
  tenant: Type.String(),
  task_id: Type.String(),
  custom_id: Type.Union([Type.String(), Type.Null()]),
  error: ItemError,
  attempts: Count,
  dead_at: Type.Integer({ description: 'Unix seconds.' }),
});

export const DeadLettersPage = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(DeadLetter),
  total: Count,
  next_cursor: Type.Union([Type.String(), Type.Null()]),
});

export const DeadLetterSelection = Type.Object(
  {
    items: Type.Optional(
      Type.Array(
        Type.Object(
          {
            batch_id: BatchIdParams.properties.batch_id,
            index: Type.Integer({ minimum: 0, maximum: 99_999 }),
          },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: 1000 },
      ),
    ),
    batch_id: Type.Optional(BatchIdParams.properties.batch_id),
  },
  { additionalProperties: false },
);
export type DeadLetterSelection = Static<typeof DeadLetterSelection>;

export const DeadLetterOutcomes = Type.Object({
  data: Type.Array(
    Type.Object({
      batch_id: Type.String(),
      index: Count,
      outcome: Type.Union(
        ['redriven', 'discarded', 'missing', 'cancelled'].map((name) => Type.Literal(name)),
      ),
    }),
  ),
});

/** The batch's progress as Server-Sent Events. */
export const BatchEventStream = {
  description:
    'Server-Sent Events: `progress` (the batch, on every change), `heartbeat`, then one `done` (the finished batch) or `error` (an error body).',
  content: {
    'text/event-stream': {
      schema: Type.Object({
        event: Type.Union(
          ['progress', 'heartbeat', 'done', 'error'].map((name) => Type.Literal(name)),
        ),
        data: Type.String({ description: 'A JSON object.' }),
      }),
    },
  },
};
