/* Copied by `node sdk/gen.ts` from docs/voice-frames.d.ts (`make gen`). Do not edit. */

export type UplinkFrame =
  | {
      type: 'audio';
      /**
       * `pcm16`: 16-bit little-endian samples, 16 kHz, mono; `opus`: one Opus packet, mono.
       */
      codec: 'pcm16' | 'opus';
      /**
       * The client's frame counter.
       */
      seq: number;
      /**
       * The audio bytes, base64.
       */
      payload: string;
      /**
       * The client's clock when it sent the frame, ms.
       */
      ts: number;
    }
  | {
      type: 'control';
      /**
       * The client's frame counter.
       */
      seq: number;
      payload:
        | {
            action: 'text';
            /**
             * A typed turn.
             */
            text: string;
          }
        | {
            action: 'resume';
            resume_token: string;
            /**
             * The last answer offset received.
             */
            after?: number;
          }
        | {
            action: 'tts';
            /**
             * The speech API's voice (`alloy` if absent).
             */
            voice?: string;
          };
      /**
       * The client's clock when it sent the frame, ms.
       */
      ts: number;
    };

export type DownlinkFrame =
  | {
      type: 'partial';
      /**
       * The turn's request id (its x-request-id).
       */
      turn_id: string;
      /**
       * The session's request id (the upgrade's x-request-id).
       */
      session_id: string;
      /**
       * The answer's stream, which a resume token names.
       */
      stream_id: string;
      /**
       * The answer chunk's offset in the stream.
       */
      offset: number;
      /**
       * The answer's next text.
       */
      text: string;
    }
  | {
      type: 'vad';
      /**
       * The turn's request id (its x-request-id).
       */
      turn_id: string;
      /**
       * The session's request id (the upgrade's x-request-id).
       */
      session_id: string;
      /**
       * start: speech has lasted about 128 ms (an onset, not a click); end: about 384 ms of silence ended the utterance.
       */
      speech: 'start' | 'end';
    }
  | {
      type: 'transcript';
      /**
       * The turn's request id (its x-request-id).
       */
      turn_id: string;
      /**
       * The session's request id (the upgrade's x-request-id).
       */
      session_id: string;
      /**
       * The utterance's words so far, while it is spoken; its `final` comes after.
       */
      text: string;
    }
  | {
      type: 'final';
      /**
       * The turn's request id (its x-request-id).
       */
      turn_id: string;
      /**
       * The session's request id (the upgrade's x-request-id).
       */
      session_id: string;
      source: 'transcript' | 'answer';
      /**
       * The whole transcript, or the whole answer.
       */
      text: string;
      stream_id?: string;
      /**
       * On the transcript: resumes the answer that follows.
       */
      resume_token?: string;
      offset?: number;
      finish_reason?: string;
      usage?: {
        input_tokens: number;
        output_tokens: number;
        cached_tokens: number;
      };
    }
  | {
      type: 'barge_in';
      /**
       * The turn's request id (its x-request-id).
       */
      turn_id: string;
      /**
       * The session's request id (the upgrade's x-request-id).
       */
      session_id: string;
      /**
       * From the onset frame's arrival to the cancel.
       */
      latency_ms: number;
    }
  | {
      type: 'metrics';
      /**
       * The turn's request id (its x-request-id).
       */
      turn_id: string;
      /**
       * The session's request id (the upgrade's x-request-id).
       */
      session_id: string;
      /**
       * End of speech to the first partial.
       */
      ttft_ms?: number;
      /**
       * The wait for the transcript after the end of speech (its transcription may begin before).
       */
      stt_ms?: number;
      barge_in_ms?: number;
      /**
       * The answer was begun on the early transcript in the pause and adopted.
       */
      speculative?: true;
    }
  | {
      type: 'audio';
      /**
       * The turn's request id (its x-request-id).
       */
      turn_id: string;
      /**
       * The session's request id (the upgrade's x-request-id).
       */
      session_id: string;
      /**
       * The answer's stream.
       */
      stream_id: string;
      /**
       * The sentence's index in the answer.
       */
      index: number;
      codec: 'mp3';
      /**
       * The sentence spoken.
       */
      text: string;
      /**
       * The audio, base64.
       */
      payload: string;
    }
  | {
      type: 'error';
      /**
       * The session's request id (the upgrade's x-request-id).
       */
      session_id: string;
      turn_id?: string;
      /**
       * A code of the closed vocabulary (docs/errors.md).
       */
      code: string;
      message: string;
      retryable: boolean;
      /**
       * The uplink frame field at fault, as a JSON pointer.
       */
      field?: string;
      /**
       * The client's frame counter.
       */
      seq?: number;
      details?: {
        /**
         * This interface was referenced by `undefined`'s JSON-Schema definition
         * via the `patternProperty` "^(.*)$".
         */
        [k: string]: unknown;
      };
    };
