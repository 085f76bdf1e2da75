import type { Chunk } from '../../core/types.ts';
import type { ErrorBody } from '../../errors/api-error.ts';

/** What a stream records: its chunks in order, then exactly one terminal event. */
export type StreamEvent =
  | { type: 'data'; offset: number; text: string }
  | { type: 'done'; offset: number; done: Extract<Chunk, { type: 'done' }> }
  | { type: 'error'; offset: number; error: ErrorBody['error'] };

export interface StreamMeta {
  tenant: string;
  model: string;
}

/**
 * The resume buffer. Offsets start at 1 and grow by one per event; a reader asks for the events
 * after an offset, then waits for the live tail. Entries expire `ttlMs` after the last write.
 */
export interface StreamStore {
  create(streamId: string, meta: StreamMeta): Promise<void>;
  meta(streamId: string): Promise<StreamMeta | undefined>;
  /** Appends an event at the next offset, which it returns. */
  append(streamId: string, event: DistributiveOmit<StreamEvent, 'offset'>): Promise<number>;
  /** Events after `afterOffset`, then the live tail, ending after the terminal event. */
  tail(streamId: string, afterOffset: number, signal: AbortSignal): AsyncIterable<StreamEvent>;
  /**
   * This process's producer is done with the stream, whatever its last event (a terminal one
   * that could not be written included): a store that leases streams to producers lets go.
   */
  finish?(streamId: string): void;
  close(): Promise<void>;
}

export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export function isTerminal(event: StreamEvent): boolean {
  return event.type !== 'data';
}
