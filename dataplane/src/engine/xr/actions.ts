import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/**
 * The typed actions an answer may carry for the client to render (docs/xr.md, "Actions"). The
 * model writes each as `<action>{JSON}</action>` in its text; the gateway takes them out of the
 * text, validates them here and forwards the valid ones as `action` frames.
 */

const AnchorId = Type.String({ minLength: 1, maxLength: 128, description: 'A registered anchor.' });

export const HighlightAction = Type.Object(
  {
    type: Type.Literal('highlight'),
    anchor_id: AnchorId,
    color: Type.Optional(Type.String({ pattern: '^#[0-9a-fA-F]{6}$' })),
    duration_ms: Type.Optional(Type.Integer({ minimum: 1, maximum: 60_000 })),
  },
  { additionalProperties: false, $id: 'HighlightAction' },
);

export const AnnotateAction = Type.Object(
  {
    type: Type.Literal('annotate'),
    anchor_id: AnchorId,
    text: Type.String({ minLength: 1, maxLength: 280 }),
  },
  { additionalProperties: false, $id: 'AnnotateAction' },
);

export const HapticAction = Type.Object(
  {
    type: Type.Literal('haptic'),
    hand: Type.Union([Type.Literal('left'), Type.Literal('right'), Type.Literal('both')]),
    intensity: Type.Number({ minimum: 0, maximum: 1 }),
    duration_ms: Type.Integer({ minimum: 1, maximum: 2000 }),
  },
  { additionalProperties: false, $id: 'HapticAction' },
);

export const AudioCueAction = Type.Object(
  {
    type: Type.Literal('audio_cue'),
    cue: Type.Union([Type.Literal('confirm'), Type.Literal('attention'), Type.Literal('error')]),
    anchor_id: Type.Optional(AnchorId),
  },
  { additionalProperties: false, $id: 'AudioCueAction' },
);

export const XrAction = Type.Union(
  [HighlightAction, AnnotateAction, HapticAction, AudioCueAction],
  {
    $id: 'XrAction',
  },
);
export type XrAction = Static<typeof XrAction>;

const check = TypeCompiler.Compile(XrAction);
const OPEN = '<action>';
const CLOSE = '</action>';
/** An action's markup longer than this is dropped unread: bounds what the extractor holds. */
const MAX_ACTION_CHARS = 2048;

export type DropReason = 'not_json' | 'schema' | 'unknown_anchor' | 'unterminated';

export interface Extracted {
  /** The text to show, markup removed. */
  text: string;
  actions: XrAction[];
  dropped: DropReason[];
}

/**
 * Takes actions out of an answer's text as it streams, chunk by chunk, whatever the chunk
 * boundaries. An action that is not JSON, breaks its schema or names an anchor `known` does
 * not hold is dropped (and reported), never forwarded. Deterministic: the same text gives the
 * same output, which is what lets a resumed answer relay the same actions.
 */
export class ActionExtractor {
  readonly #known: (anchorId: string) => boolean;
  #pending = '';
  #inside = false;

  constructor(known: (anchorId: string) => boolean) {
    this.#known = known;
  }

  push(chunk: string): Extracted {
    const out: Extracted = { text: '', actions: [], dropped: [] };
    let rest = this.#pending + chunk;
    this.#pending = '';
    for (;;) {
      if (!this.#inside) {
        const open = rest.indexOf(OPEN);
        if (open === -1) {
          const keep = partialSuffix(rest, OPEN);
          out.text += rest.slice(0, rest.length - keep);
          this.#pending = rest.slice(rest.length - keep);
          return out;
        }
        out.text += rest.slice(0, open);
        rest = rest.slice(open + OPEN.length);
        this.#inside = true;
      }
      const close = rest.indexOf(CLOSE);
      if (close === -1) {
        if (rest.length > MAX_ACTION_CHARS) {
          out.dropped.push('unterminated');
          this.#inside = false;
          rest = '';
          continue;
        }
        this.#pending = rest;
        return out;
      }
      this.#inside = false;
      this.#take(rest.slice(0, close), out);
      rest = rest.slice(close + CLOSE.length);
    }
  }

  /** The end of the answer: held-back text is shown, an open action is dropped. */
  finish(): Extracted {
    const out: Extracted = { text: '', actions: [], dropped: [] };
    if (this.#inside) out.dropped.push('unterminated');
    else out.text = this.#pending;
    this.#pending = '';
    this.#inside = false;
    return out;
  }

  #take(body: string, out: Extracted): void {
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      out.dropped.push('not_json');
      return;
    }
    if (!check.Check(value)) {
      out.dropped.push('schema');
      return;
    }
    const anchorId = 'anchor_id' in value ? (value.anchor_id as string | undefined) : undefined;
    if (anchorId !== undefined && !this.#known(anchorId)) {
      out.dropped.push('unknown_anchor');
      return;
    }
    out.actions.push(value);
  }
}

/** How many of `text`'s last characters could begin `marker`. */
function partialSuffix(text: string, marker: string): number {
  for (let keep = Math.min(marker.length - 1, text.length); keep > 0; keep--)
    if (marker.startsWith(text.slice(text.length - keep))) return keep;
  return 0;
}
