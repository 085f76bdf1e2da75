/**
 * The XR engine's settings, from the process environment (docs/xr.md); the socket's transport
 * settings are the voice socket's (ws-settings.ts: origins, ping, frame and buffer limits):
 * - `XR_FRAME_MAX_AGE_MS` (250): a frame older than this on arrival is dropped and counted;
 * - `XR_MODEL`: the model alias XR turns ask for (the prompt's or gateway's default if unset);
 * - `XR_AVATAR` ("a voice without a body"): how the assistant appears, for the prompt.
 */
export interface XrSettings {
  maxAgeMs: number;
  model: string | undefined;
  avatar: string;
}

export function xrSettings(env: NodeJS.ProcessEnv): XrSettings {
  const age = env['XR_FRAME_MAX_AGE_MS'];
  const maxAgeMs = age === undefined || age === '' ? 250 : Number(age);
  if (!Number.isSafeInteger(maxAgeMs) || maxAgeMs <= 0)
    throw new Error(`XR_FRAME_MAX_AGE_MS must be a positive integer, not ${JSON.stringify(age)}.`);
  const model = env['XR_MODEL'];
  const avatar = env['XR_AVATAR'];
  return {
    maxAgeMs,
    model: model === undefined || model === '' ? undefined : model,
    avatar: avatar === undefined || avatar === '' ? 'a voice without a body' : avatar,
  };
}
