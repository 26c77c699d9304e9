// Runs on the audio thread: collects the microphone's mono Float32 samples into ~20 ms
// chunks and hands them to the page, which converts and sends them. Batching matters: the
// thread calls process() every 128 samples, far too often for a message each time.

class CaptureProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.size = Math.round(sampleRate * 0.02);  // `sampleRate` is the AudioContext's
    this.chunk = new Float32Array(this.size);
    this.filled = 0;
  }

  process(inputs) {
    const channel = inputs[0] && inputs[0][0];  // the node is set to one channel: a downmix
    if (!channel) return true;
    let offset = 0;
    while (offset < channel.length) {
      const take = Math.min(channel.length - offset, this.size - this.filled);
      this.chunk.set(channel.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === this.size) {
        this.port.postMessage(this.chunk, [this.chunk.buffer]);  // transferred, not copied
        this.chunk = new Float32Array(this.size);
        this.filled = 0;
      }
    }
    return true;
  }
}

registerProcessor("os1-capture", CaptureProcessor);
