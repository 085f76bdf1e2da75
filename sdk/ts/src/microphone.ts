/**
 * The AudioWorklet that turns the microphone into the voice socket's pcm16 frames: run in an
 * AudioContext of 16 kHz (the browser resamples the microphone), it posts one ArrayBuffer of
 * 320 little-endian int16 samples (20 ms, 640 bytes) at a time. Kept as source text so that
 * any page can load it from a Blob URL, with no bundler rule for worklets.
 */
export const PCM16_WORKLET = `
class Pcm16Frames extends AudioWorkletProcessor {
  constructor() { super(); this.frame = new Int16Array(320); this.at = 0; }
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (channel === undefined) return true;
    for (let i = 0; i < channel.length; i++) {
      const s = Math.max(-1, Math.min(1, channel[i]));
      this.frame[this.at++] = s < 0 ? s * 0x8000 : s * 0x7fff;
      if (this.at === this.frame.length) {
        this.port.postMessage(this.frame.buffer, [this.frame.buffer]);
        this.frame = new Int16Array(320);
        this.at = 0;
      }
    }
    return true;
  }
}
registerProcessor('pcm16-frames', Pcm16Frames);
`;

/** Starts the microphone; every 20 ms frame goes to `onFrame`. Returns the stop function. */
export async function startMicrophone(onFrame: (pcm16: Uint8Array) => void): Promise<() => void> {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: {
      channelCount: 1,
      echoCancellation: false,
      noiseSuppression: false,
      autoGainControl: false,
    },
  });
  const context = new AudioContext({ sampleRate: 16000 });
  const url = URL.createObjectURL(new Blob([PCM16_WORKLET], { type: 'text/javascript' }));
  await context.audioWorklet.addModule(url);
  URL.revokeObjectURL(url);
  const node = new AudioWorkletNode(context, 'pcm16-frames');
  node.port.onmessage = (message: MessageEvent<ArrayBuffer>) => {
    onFrame(new Uint8Array(message.data));
  };
  context.createMediaStreamSource(stream).connect(node);
  // Pulled by the destination (silenced), so the graph runs on every browser.
  const mute = context.createGain();
  mute.gain.value = 0;
  node.connect(mute).connect(context.destination);
  return () => {
    for (const track of stream.getTracks()) track.stop();
    void context.close();
  };
}
