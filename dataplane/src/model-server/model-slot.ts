/**
 * The model server's one slot: the version that takes new requests. Switching it is a single
 * assignment, so no request ever sees two versions or none: a request leases the version that
 * is active when it arrives and keeps it to its last chunk, while the next request already
 * gets the new one.
 */
import { ApiError } from '../errors/api-error.ts';
import type { ServedModel } from './served-model.ts';

export interface Lease {
  model: ServedModel;
  release(): void;
}

export class ModelSlot {
  #active: ServedModel | undefined;

  get active(): ServedModel | undefined {
    return this.#active;
  }

  /** The active version, counted in flight until `release`; NOT_READY before the first load. */
  lease(): Lease {
    const model = this.#active;
    if (model === undefined) {
      throw new ApiError('NOT_READY', 'The model is still loading.', { retryAfterS: 1 });
    }
    return { model, release: model.acquire() };
  }

  /** Makes `model` the active version; returns the one it replaced. */
  switchTo(model: ServedModel): ServedModel | undefined {
    const previous = this.#active;
    this.#active = model;
    return previous;
  }
}
