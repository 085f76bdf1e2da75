/**
 * Which frames of a resumed XR answer are new. The gateway relays from a chunk offset, and one
 * chunk can carry text and several actions, so a socket cut inside a chunk is resumed from the
 * chunk before it, and that chunk comes again whole. Counting each chunk's frames by type, per
 * connection, a frame is new when it goes past the count already delivered.
 */
export class ReplayFilter {
  readonly #delivered = new Map<string, number>();
  #seen = new Map<string, number>();

  /** A new connection: its frames are counted afresh. */
  reconnected(): void {
    this.#seen = new Map();
  }

  /** Whether this `type` frame of chunk `offset` is new; counts it either way. */
  admit(type: string, offset: number): boolean {
    const key = `${type}:${offset}`;
    const seen = (this.#seen.get(key) ?? 0) + 1;
    this.#seen.set(key, seen);
    if (seen <= (this.#delivered.get(key) ?? 0)) return false;
    this.#delivered.set(key, seen);
    return true;
  }
}
