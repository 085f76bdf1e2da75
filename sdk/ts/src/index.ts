export {
  EnisClient,
  type AuditExportQuery,
  type Batch,
  type BatchRequest,
  type BatchResult,
  type CallOptions,
  type ClientOptions,
  type InferenceRequest,
  type InferenceResponse,
  type VoiceUtterance,
} from './client.ts';
export { EnisError, type ErrorBody } from './errors.ts';
export { ERROR_CODES, type ErrorCode } from './generated/error-codes.ts';
export type { RetryPolicy } from './retry.ts';
export {
  StreamExhaustedError,
  type ResumeOptions,
  type StreamEvent,
  type StreamOptions,
  type Transport,
  type Usage,
} from './stream.ts';
export {
  VoiceSocket,
  type DownlinkFrame,
  type TokenSource,
  type UplinkFrame,
  type VoiceEvent,
  type VoiceOptions,
  type TransportChange,
  type VoiceTransport,
} from './voice.ts';
export {
  XrSocket,
  type XrDownlinkFrame,
  type XrEvent,
  type XrSocketOptions,
  type XrUplinkFrame,
} from './xr-socket.ts';
export type * from './generated/types.gen.ts';
