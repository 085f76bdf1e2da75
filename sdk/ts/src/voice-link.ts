import type { DownlinkFrame, UplinkFrame } from './generated/voice-frames.ts';

/**
 * One connection of a voice session, whatever carries it (the socket, or its long-poll form):
 * `VoiceSocket` sends uplink frames through it and is told its frames and its end, once.
 */
export interface VoiceLink {
  /** Sends a frame now (the socket) or in order with the next batch (long-poll). */
  send(frame: UplinkFrame): void;
  /** Ends it on purpose: `closed` is told 1000. */
  close(): void;
  readonly open: boolean;
}

export interface VoiceLinkEvents {
  frame(frame: DownlinkFrame): void;
  /** The link ended: 1000 when closed on purpose, a WebSocket close code otherwise. */
  closed(code: number, reason: string): void;
}
