export { useVoice, type UseVoiceOptions, type Voice } from './use-voice.ts';
export { useXR, type UseXROptions, type XR } from './use-xr.ts';
export { VoiceMic, voicePhase, type VoiceMicProps, type VoicePhase } from './VoiceMic.tsx';
export {
  INITIAL_VOICE,
  LOG_LIMIT,
  reduceVoice,
  type Connection,
  type LogEntry,
  type Microphone,
  type VoiceAction,
  type VoiceState,
} from './voice-state.ts';
export { XRFeed, type XRFeedProps } from './XRFeed.tsx';
export { XrSocket, type XrEvent, type XrSocketOptions } from '@enis/client';
export {
  INITIAL_XR,
  reduceXr,
  type Anchor,
  type Referent,
  type Timing,
  type XrAction,
  type XrState,
  type XrStateAction,
} from './xr-state.ts';
