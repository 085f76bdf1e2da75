/* Copied by `node sdk/gen.ts` from docs/xr-frames.d.ts (`make gen`). Do not edit. */

export type XrUplinkFrame =
  | {
      type: 'pose';
      /**
       * Head and hands; a hand's pose is its target ray (WebXR targetRaySpace).
       */
      data: {
        head?: {
          /**
           * [x, y, z], m.
           *
           * @minItems 3
           * @maxItems 3
           */
          position: [number, number, number];
          /**
           * A rotation as a quaternion [x, y, z, w]; normalised on arrival.
           *
           * @minItems 4
           * @maxItems 4
           */
          orientation: [number, number, number, number];
        };
        left_hand?: {
          /**
           * [x, y, z], m.
           *
           * @minItems 3
           * @maxItems 3
           */
          position: [number, number, number];
          /**
           * A rotation as a quaternion [x, y, z, w]; normalised on arrival.
           *
           * @minItems 4
           * @maxItems 4
           */
          orientation: [number, number, number, number];
        };
        right_hand?: {
          /**
           * [x, y, z], m.
           *
           * @minItems 3
           * @maxItems 3
           */
          position: [number, number, number];
          /**
           * A rotation as a quaternion [x, y, z, w]; normalised on arrival.
           *
           * @minItems 4
           * @maxItems 4
           */
          orientation: [number, number, number, number];
        };
      };
      /**
       * The client's clock when the frame was sampled, ms (any origin, monotonic).
       */
      ts: number;
    }
  | {
      type: 'gaze';
      data: {
        /**
         * [x, y, z], m.
         *
         * @minItems 3
         * @maxItems 3
         */
        origin: [number, number, number];
        /**
         * Normalised on arrival.
         *
         * @minItems 3
         * @maxItems 3
         */
        direction: [number, number, number];
      };
      /**
       * The client's clock when the frame was sampled, ms (any origin, monotonic).
       */
      ts: number;
    }
  | {
      type: 'gesture';
      data: {
        kind: 'point' | 'pinch' | 'grab';
        hand: 'left' | 'right';
        phase: 'start' | 'end';
      };
      /**
       * The client's clock when the frame was sampled, ms (any origin, monotonic).
       */
      ts: number;
    }
  | {
      type: 'voice_vad';
      data:
        | {
            state: 'start';
          }
        | {
            state: 'end';
            /**
             * The utterance's transcript (the voice socket's, or the client's).
             */
            text?: string;
            /**
             * Its onset; default the last `start` frame.
             */
            start_ts?: number;
          };
      /**
       * The client's clock when the frame was sampled, ms (any origin, monotonic).
       */
      ts: number;
    }
  | {
      type: 'anchors';
      data: {
        /**
         * @maxItems 256
         */
        upsert?: {
          id: string;
          label: string;
          pose: {
            /**
             * [x, y, z], m.
             *
             * @minItems 3
             * @maxItems 3
             */
            position: [number, number, number];
            /**
             * A rotation as a quaternion [x, y, z, w]; normalised on arrival.
             *
             * @minItems 4
             * @maxItems 4
             */
            orientation: [number, number, number, number];
          };
          /**
           * The box's full size along its local x, y, z, m.
           *
           * @minItems 3
           * @maxItems 3
           */
          extent: [number, number, number];
        }[];
        /**
         * @maxItems 256
         */
        remove?: string[];
      };
      /**
       * The client's clock when the frame was sampled, ms (any origin, monotonic).
       */
      ts: number;
    }
  | {
      type: 'resume';
      data: {
        /**
         * A `session` frame's key.
         */
        session_key?: string;
        resume_token?: string;
        after?: number;
      };
      /**
       * The client's clock when the frame was sampled, ms (any origin, monotonic).
       */
      ts: number;
    };

export type XrDownlinkFrame =
  | {
      type: 'session';
      /**
       * The socket's request id (the upgrade's x-request-id).
       */
      session_id: string;
      /**
       * Resumes this scene on a new socket for 30 s.
       */
      session_key: string;
      resumed: boolean;
      anchors: number;
    }
  | {
      type: 'referent';
      /**
       * The socket's request id (the upgrade's x-request-id).
       */
      session_id: string;
      turn_id?: string;
      cause: 'utterance' | 'gesture';
      /**
       * The client moment resolved, in its clock.
       */
      at_ts: number;
      /**
       * Which resolution rule decided (docs/xr.md).
       */
      rule: string;
      referents: {
        anchor_id: string;
        label: string;
        source: 'point' | 'gaze' | 'hand';
        distance_m: number;
        angle_deg: number;
      }[];
      overruled?: {
        anchor_id: string;
        label: string;
        source: 'point' | 'gaze' | 'hand';
        distance_m: number;
        angle_deg: number;
      };
    }
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
      type: 'action';
      /**
       * The socket's request id (the upgrade's x-request-id).
       */
      session_id: string;
      turn_id: string;
      stream_id: string;
      /**
       * The answer chunk that carried it.
       */
      offset: number;
      action:
        | {
            type: 'highlight';
            /**
             * A registered anchor.
             */
            anchor_id: string;
            color?: string;
            duration_ms?: number;
          }
        | {
            type: 'annotate';
            /**
             * A registered anchor.
             */
            anchor_id: string;
            text: string;
          }
        | {
            type: 'haptic';
            hand: 'left' | 'right' | 'both';
            intensity: number;
            duration_ms: number;
          }
        | {
            type: 'audio_cue';
            cue: 'confirm' | 'attention' | 'error';
            /**
             * A registered anchor.
             */
            anchor_id?: string;
          };
    }
  | {
      type: 'timing';
      /**
       * The socket's request id (the upgrade's x-request-id).
       */
      session_id: string;
      /**
       * Arrival clock minus the client clock, least over 10 s; null before a frame.
       */
      clock_offset_ms: number | null;
      streams: {
        /**
         * This interface was referenced by `undefined`'s JSON-Schema definition
         * via the `patternProperty` "^(.*)$".
         */
        [k: string]: {
          frames: number;
          /**
           * RFC 3550's interarrival jitter.
           */
          jitter_ms: number;
          dropped_stale: number;
          dropped_out_of_order: number;
        };
      };
      actions_dropped: number;
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
