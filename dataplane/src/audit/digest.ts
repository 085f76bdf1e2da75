import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';

/** A running HMAC (what `createHmac` returns). */
export type RunningDigest = ReturnType<typeof createHmac>;
import { canonicalJson } from '../../../crds/canonical-json.ts';
import type { ChatMessage } from '../core/types.ts';

/**
 * Content digests (`content_sha`): HMAC-SHA256 under a key of the tenant's own, derived from
 * the contract's content key, so that equal texts of two tenants are not linkable, and a
 * tenant (given its key by an operator) can prove which receipt a text belongs to.
 */
export class ContentDigests {
  readonly #root: KeyObject;
  /** Per tenant, as a KeyObject: an HMAC over one is several times cheaper than over a Buffer. */
  readonly #tenants = new Map<string, KeyObject>();

  constructor(contentKey: Buffer) {
    this.#root = createSecretKey(contentKey);
  }

  /** The tenant's key: HMAC-SHA256(content key, "content_sha:" ‖ tenant). */
  keyOf(tenant: string): KeyObject {
    let key = this.#tenants.get(tenant);
    if (key === undefined) {
      key = createSecretKey(
        createHmac('sha256', this.#root).update(`content_sha:${tenant}`, 'utf8').digest(),
      );
      this.#tenants.set(tenant, key);
    }
    return key;
  }

  /** The digest of the messages sent upstream (their RFC 8785 canonical JSON). */
  input(tenant: string, messages: readonly ChatMessage[] | readonly string[]): string {
    return createHmac('sha256', this.keyOf(tenant))
      .update(canonicalJson(messages), 'utf8')
      .digest('hex');
  }

  /** A running digest of the output's text, as the caller got it. */
  output(tenant: string): RunningDigest {
    return createHmac('sha256', this.keyOf(tenant));
  }
}
