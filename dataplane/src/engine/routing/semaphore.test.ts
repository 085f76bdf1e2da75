import { describe, expect, it } from 'vitest';
import { Semaphore } from './semaphore.ts';

describe('the concurrency semaphore', () => {
  it('admits up to its limit at once', async () => {
    const semaphore = new Semaphore({ limit: 2 });
    await semaphore.acquire();
    await semaphore.acquire();
    expect(semaphore.active).toBe(2);
  });

  it('hands a released slot to the first waiter', async () => {
    const semaphore = new Semaphore({ limit: 1 });
    const release = await semaphore.acquire();
    const waiting = semaphore.acquire();
    expect(semaphore.queued).toBe(1);
    release();
    release();
    await waiting;
    expect(semaphore.active).toBe(1);
    expect(semaphore.queued).toBe(0);
  });

  it('answers OVERLOADED with Retry-After when the queue wait times out', async () => {
    const semaphore = new Semaphore({ limit: 1, queueTimeoutMs: 10 });
    await semaphore.acquire();
    await expect(semaphore.acquire()).rejects.toMatchObject({ code: 'OVERLOADED', retryAfterS: 1 });
    expect(semaphore.queued).toBe(0);
  });

  it('refuses at once when the queue is full', async () => {
    const semaphore = new Semaphore({ limit: 1, maxQueue: 0 });
    await semaphore.acquire();
    await expect(semaphore.acquire()).rejects.toMatchObject({ code: 'OVERLOADED' });
  });

  it('drops a waiter whose caller gave up', async () => {
    const semaphore = new Semaphore({ limit: 1 });
    await semaphore.acquire();
    const controller = new AbortController();
    const waiting = semaphore.acquire(controller.signal);
    controller.abort(new Error('client left'));
    await expect(waiting).rejects.toThrow('client left');
    expect(semaphore.queued).toBe(0);
  });
});
