/**
 * One turn of a voice conversation: its request id (`turn_id`), the controller that cancels its
 * answer upstream, and whether the caller spoke over it (then its cancel is no error to report).
 */
export interface Turn {
  readonly id: string;
  readonly controller: AbortController;
  bargedIn: boolean;
}

export function newTurn(id: string): Turn {
  return { id, controller: new AbortController(), bargedIn: false };
}
