import { describe, expect, it } from 'vitest';
import { ApiError } from './kube-client.ts';
import { isTerminal, TerminalError, transitions } from './controller.ts';

const condition = (type: string, status: string, reason: string) => ({
  type,
  status,
  reason,
  message: `${reason} happened`,
  lastTransitionTime: '2026-01-01T00:00:00Z',
});
const target = (...conditions: ReturnType<typeof condition>[]) => ({
  metadata: { name: 'x' },
  status: { conditions },
});

describe('transitions', () => {
  it('records a Normal Event when Ready turns True, and a Warning when it turns False', () => {
    expect(
      transitions(target(condition('Ready', 'False', 'SecretNotFound')), {
        conditions: [condition('Ready', 'True', 'Serving')],
      }),
    ).toEqual([
      {
        type: 'Normal',
        reason: 'Serving',
        note: 'Ready=True: Serving happened',
        action: 'Reconcile',
      },
    ]);
    expect(
      transitions(target(condition('Ready', 'True', 'Serving')), {
        conditions: [condition('Ready', 'False', 'SecretNotFound')],
      }),
    ).toMatchObject([{ type: 'Warning', reason: 'SecretNotFound' }]);
  });

  it('records nothing for an unchanged condition, an Unknown one, or Progressing', () => {
    const same = target(condition('Ready', 'True', 'Serving'));
    expect(transitions(same, { conditions: [condition('Ready', 'True', 'Serving')] })).toEqual([]);
    expect(
      transitions(target(), {
        conditions: [
          condition('Ready', 'Unknown', 'RenderPending'),
          condition('Progressing', 'True', 'RollingOut'),
        ],
      }),
    ).toEqual([]);
  });

  it('reads Degraded the other way round, and keeps quiet about a model that is just starting', () => {
    expect(
      transitions(target(), {
        conditions: [condition('Degraded', 'True', 'ProgressDeadlineExceeded')],
      }),
    ).toMatchObject([{ type: 'Warning' }]);
    expect(
      transitions(target(), { conditions: [condition('Degraded', 'False', 'AsExpected')] }),
    ).toEqual([]);
    expect(
      transitions(target(), { conditions: [condition('Ready', 'False', 'ReplicasNotReady')] }),
    ).toEqual([]);
    expect(
      transitions(target(condition('Ready', 'True', 'Available')), {
        conditions: [condition('Ready', 'False', 'ReplicasNotReady')],
      }),
    ).toMatchObject([{ type: 'Warning' }]);
  });
});

describe('isTerminal', () => {
  it.each<[Error, boolean]>([
    [new ApiError(422, 'Invalid', 'bad'), true],
    [new ApiError(400, 'BadRequest', 'bad'), true],
    [new ApiError(409, 'Conflict', 'retry'), false],
    [new ApiError(429, 'TooManyRequests', 'retry'), false],
    [new ApiError(403, 'Forbidden', 'RBAC may change'), false],
    [new ApiError(500, 'InternalError', 'retry'), false],
    [new TerminalError('no'), true],
    [new Error('network'), false],
  ])('%s → %s', (err, terminal) => {
    expect(isTerminal(err)).toBe(terminal);
  });
});
