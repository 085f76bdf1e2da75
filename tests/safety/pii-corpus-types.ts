import type { PiiKind } from '../../dataplane/src/security/pii.ts';

/** One positive: `value` is the exact span of `kind` that the detectors should find in `text`. */
export interface CorpusCase {
  kind: PiiKind;
  value: string;
  text: string;
  /** Where the format (or the example itself) comes from. */
  source: string;
}

/** A benign look-alike: nothing in `text` should be flagged. */
export interface BenignCase {
  what: string;
  text: string;
}
