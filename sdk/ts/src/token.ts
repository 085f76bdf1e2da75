import { EnisError } from './errors.ts';

/**
 * Where the bearer token comes from: a fixed token, or a callback asked once at start
 * (`'initial'`) and again whenever the gateway answered 401 `UNAUTHENTICATED` (`'expired'`),
 * after which the call is sent once more with the new token.
 */
export type TokenSource = string | ((why: 'initial' | 'expired') => string | Promise<string>);

/** The current token of a source, asked again from a callback when it expired. */
export class Bearer {
  readonly #source: TokenSource;
  #token: string | undefined;

  constructor(source: TokenSource) {
    this.#source = source;
  }

  async get(expired = false): Promise<string> {
    const source = this.#source;
    if (typeof source === 'string') return source;
    if (this.#token === undefined || expired)
      this.#token = await source(expired ? 'expired' : 'initial');
    return this.#token;
  }

  /**
   * Runs `call` with the token; when the gateway refused it as expired (401
   * `UNAUTHENTICATED`) and the source is a callback, once more with a fresh one.
   */
  async refreshing<T>(call: (token: string) => Promise<T>): Promise<T> {
    try {
      return await call(await this.get());
    } catch (error) {
      const expired = error instanceof EnisError && error.code === 'UNAUTHENTICATED';
      if (!expired || typeof this.#source === 'string') throw error;
      return call(await this.get(true));
    }
  }
}
