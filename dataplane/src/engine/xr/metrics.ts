import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Fine buckets: the XR budget is milliseconds (docs/xr.md, "Timing"). */
const MS_BUCKETS = [0.0005, 0.001, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.02, 0.05, 0.1, 0.25];

/** The XR engine's metrics (docs/xr.md), on the app's registry. */
export function createXrMetrics(registry: Registry) {
  const registers = [registry];
  return {
    sockets: new Gauge({
      name: 'inference_xr_sockets',
      help: 'XR sockets this process serves.',
      registers,
    }),
    jitter: new Histogram({
      name: 'inference_xr_frame_jitter_seconds',
      help: "XR frames: |D|, the change in transit time from the stream's previous frame (RFC 3550).",
      labelNames: ['stream'],
      buckets: MS_BUCKETS,
      registers,
    }),
    processing: new Histogram({
      name: 'inference_xr_frame_processing_seconds',
      help: 'XR frames: from the message event to the frame taken into the scene.',
      buckets: MS_BUCKETS,
      registers,
    }),
    dropped: new Counter({
      name: 'inference_xr_frames_dropped_total',
      help: 'XR frames refused: stale (older than the window) or out of order.',
      labelNames: ['reason'],
      registers,
    }),
    actionsDropped: new Counter({
      name: 'inference_xr_actions_dropped_total',
      help: "Actions in a model's answer not forwarded: not JSON, off schema, unknown anchor, unterminated.",
      labelNames: ['reason'],
      registers,
    }),
  };
}

export type XrMetrics = ReturnType<typeof createXrMetrics>;
