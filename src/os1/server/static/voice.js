// Voice: the microphone to the server, the server's speech to the speaker.
//
// Out: {"type": "voice_start", mode, rate}, then binary frames of 16-bit little-endian mono
// PCM at the AudioContext's own rate (the server resamples), "voice_end" when the push
// button is let go, "voice_stop" when voice is turned off.
// In: binary frames of 16-bit mono PCM at 22050 Hz, scheduled back to back so there are no
// gaps; "audio_clear" silences everything queued at once (the person started talking).

const PLAY_RATE = 22050;
const LEAD_S = 0.04;          // scheduling slack after an underrun, so a frame isn't late
const MAX_BUFFERED = 500;     // ~10 s of 20 ms frames said before the server was ready

let active = null;
let wired = false;

export class Voice {
  constructor({ status, push, handsFree }) {
    this.statusEl = status;
    this.pushButton = push;
    this.handsFree = handsFree;
    this.conn = null;
    this.ctx = null;
    this.workletLoaded = false;
    this.mic = null;            // {stream, source, node, mute} while the microphone is open
    this.session = null;        // "push" | "hands_free" while the server has a voice session
    this.ready = false;         // the server said voice_ready: only then may audio go out
    this.buffered = [];
    this.sending = false;       // frames go out only while the button is held or hands-free is on
    this.holding = false;
    this.endWhenReady = false;  // push released before voice_ready: voice_end follows the frames
    this.playAt = 0;
    this.playing = new Set();
    this.carry = null;          // an odd byte left from the last frame
    handsFree.checked = false;
    this.setStatus("");
    active = this;
    if (!wired) wire(push, handsFree);
  }

  attach(conn) {
    this.conn = conn;
  }

  // -- the microphone -----------------------------------------------------------------

  context() {
    if (!this.ctx) this.ctx = new AudioContext();
    if (this.ctx.state === "suspended") this.ctx.resume();
    return this.ctx;
  }

  /** Open the microphone once; answers false (and says why) when it can't be had. */
  async ensureMic() {
    if (this.mic) return true;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.AudioWorkletNode) {
      this.setStatus("Voice needs a browser with microphone access on a secure page "
        + "(https or localhost). Typing still works.", "error");
      return false;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, channelCount: 1 },
      });
    } catch (error) {
      this.setStatus(micProblem(error), "error");
      return false;
    }
    const ctx = this.context();
    try {
      if (!this.workletLoaded) await ctx.audioWorklet.addModule("/static/audio-worklet.js");
      this.workletLoaded = true;
    } catch (error) {
      stream.getTracks().forEach((track) => track.stop());
      this.setStatus(`Voice couldn't start here (${error.message}). Typing still works.`, "error");
      return false;
    }
    const source = ctx.createMediaStreamSource(stream);
    const node = new AudioWorkletNode(ctx, "os1-capture",
      { channelCount: 1, channelCountMode: "explicit", numberOfOutputs: 1 });
    node.port.onmessage = (message) => this.captured(message.data);
    // A silent path to the speakers keeps the graph pulling the worklet in every browser.
    const mute = ctx.createGain();
    mute.gain.value = 0;
    source.connect(node).connect(mute).connect(ctx.destination);
    this.mic = { stream, source, node, mute };
    return true;
  }

  releaseMic() {
    if (!this.mic) return;
    const { stream, source, node, mute } = this.mic;
    stream.getTracks().forEach((track) => track.stop());  // the browser's mic light goes off
    source.disconnect();
    node.disconnect();
    mute.disconnect();
    node.port.onmessage = null;
    this.mic = null;
  }

  captured(samples) {
    if (!this.sending || !this.session) return;
    const frame = toPcm16(samples);
    if (this.ready) this.conn.sendBinary(frame);
    else if (this.buffered.length < MAX_BUFFERED) this.buffered.push(frame);
  }

  // -- the voice session --------------------------------------------------------------

  startSession(mode) {
    if (this.session && this.session !== mode) this.conn.send({ type: "voice_stop" });
    if (this.session === mode) return;
    this.session = mode;
    this.ready = false;
    this.buffered = [];
    this.endWhenReady = false;
    // Frames said before "voice_ready" wait: audio without a voice session ends the socket.
    this.conn.send({ type: "voice_start", mode, rate: this.context().sampleRate });
  }

  markReady() {
    if (!this.session) return;
    this.ready = true;
    for (const frame of this.buffered) this.conn.sendBinary(frame);
    this.buffered = [];
    if (this.endWhenReady) this.conn.send({ type: "voice_end" });
    this.endWhenReady = false;
  }

  /** An error while voice was starting means it didn't start (e.g. voice is off here). */
  errorArrived() {
    if (!this.session || this.ready) return;
    this.session = null;
    this.sending = false;
    this.buffered = [];
    this.endWhenReady = false;
    this.handsFree.checked = false;
    this.pushButton.disabled = false;
    this.releaseMic();
  }

  async pushDown() {
    if (this.handsFree.checked || this.holding) return;
    this.holding = true;
    this.pushButton.setAttribute("aria-pressed", "true");
    this.clearPlayback();  // pressing to talk means: I want to speak now
    if (!(await this.ensureMic())) {
      this.pushUp();
      return;
    }
    if (!this.holding) return;  // let go while the permission prompt was open
    this.startSession("push");
    this.sending = true;
    this.setStatus("Listening…");
  }

  pushUp() {
    const wasSending = this.sending && this.session === "push";
    this.holding = false;
    this.sending = false;
    this.pushButton.setAttribute("aria-pressed", "false");
    if (!wasSending) return;
    // Not ready yet: the end of the turn waits for the frames still buffered.
    if (this.ready) this.conn.send({ type: "voice_end" });
    else this.endWhenReady = true;
    this.setStatus("");
  }

  async setHandsFree(on) {
    if (!on) {
      this.stop();
      return;
    }
    if (!(await this.ensureMic())) {
      this.handsFree.checked = false;
      return;
    }
    if (!this.handsFree.checked) return;  // switched off again while we waited
    this.startSession("hands_free");
    this.sending = true;
    this.pushButton.disabled = true;
    this.setStatus("Listening. Just talk.");
  }

  /** Voice off: the server's session ends, the microphone is released, speech stops. */
  stop() {
    if (this.session && this.conn) this.conn.send({ type: "voice_stop" });
    this.session = null;
    this.endWhenReady = false;
    this.sending = false;
    this.holding = false;
    this.buffered = [];
    this.handsFree.checked = false;
    this.pushButton.disabled = false;
    this.pushButton.setAttribute("aria-pressed", "false");
    this.releaseMic();
    this.clearPlayback();
    this.speaking(false);
    if (this.statusEl.dataset.kind !== "error") this.setStatus("");
  }

  /** The socket dropped: the server's voice session went with it. */
  socketLost() {
    this.session = null;
    this.ready = false;
    this.buffered = [];
    this.endWhenReady = false;
    if (this.holding) this.pushUp();
  }

  /** Back again: hands-free carries on by itself. */
  socketBack() {
    if (this.handsFree.checked && this.mic) {
      this.startSession("hands_free");
      this.sending = true;
    }
  }

  // -- events from the server ---------------------------------------------------------

  handle(event) {
    if (event.type === "voice_ready") this.markReady();
    else if (event.type === "transcript") this.transcript(event.text || "", Boolean(event.final));
    else if (event.type === "speaking") this.speaking(Boolean(event.on));
    else if (event.type === "audio_clear") this.clearPlayback();
  }

  transcript(text, final) {
    if (!text) return;
    this.setStatus(final ? `“${text}”` : `“${text}…”`, final ? "final" : "partial");
  }

  /** The heard words became a message in the conversation; the preview has done its job. */
  transcriptHeard() {
    if (this.statusEl.dataset.kind === "final") {
      this.setStatus(this.handsFree.checked ? "Listening. Just talk." : "");
    }
  }

  speaking(on) {
    document.body.classList.toggle("speaking", on);
  }

  setStatus(text, kind = "") {
    this.statusEl.textContent = text;
    if (kind) this.statusEl.dataset.kind = kind;
    else delete this.statusEl.dataset.kind;
  }

  // -- playing the companion's voice --------------------------------------------------

  play(buffer) {
    let bytes = new Uint8Array(buffer);
    if (this.carry !== null) {  // frames may split a sample; glue the halves back together
      const joined = new Uint8Array(bytes.length + 1);
      joined[0] = this.carry;
      joined.set(bytes, 1);
      bytes = joined;
      this.carry = null;
    }
    if (bytes.length % 2) {
      this.carry = bytes[bytes.length - 1];
      bytes = bytes.subarray(0, bytes.length - 1);
    }
    if (!bytes.length) return;
    const ctx = this.context();
    const samples = fromPcm16(bytes);
    const audio = ctx.createBuffer(1, samples.length, PLAY_RATE);
    audio.copyToChannel(samples, 0);
    const node = ctx.createBufferSource();
    node.buffer = audio;
    node.connect(ctx.destination);
    // Each frame starts exactly where the last one ends; after a gap, a little ahead of now.
    this.playAt = Math.max(this.playAt, ctx.currentTime + LEAD_S);
    node.start(this.playAt);
    this.playAt += audio.duration;
    this.playing.add(node);
    node.onended = () => this.playing.delete(node);
  }

  clearPlayback() {
    for (const node of this.playing) {
      try {
        node.stop();
      } catch {
        // already finished
      }
    }
    this.playing.clear();
    this.carry = null;
    this.playAt = 0;
  }
}

/** Float32 in [-1, 1] to 16-bit little-endian, whatever the machine's own byte order. */
export function toPcm16(samples) {
  const out = new DataView(new ArrayBuffer(samples.length * 2));
  for (let i = 0; i < samples.length; i += 1) {
    const s = Math.max(-1, Math.min(1, samples[i]));
    out.setInt16(i * 2, s < 0 ? s * 0x8000 : s * 0x7fff, true);
  }
  return out.buffer;
}

export function fromPcm16(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = view.getInt16(i * 2, true) / 0x8000;
  return out;
}

function micProblem(error) {
  const name = error && error.name;
  if (name === "NotAllowedError" || name === "SecurityError") {
    return "The microphone isn't allowed for this page. Allow it in the browser's site settings "
      + "to talk; typing still works.";
  }
  if (name === "NotFoundError" || name === "OverconstrainedError") {
    return "No microphone was found. Typing still works.";
  }
  if (name === "NotReadableError") {
    return "The microphone is busy in another app. Typing still works.";
  }
  return `The microphone couldn't be opened (${(error && error.message) || name}). Typing still works.`;
}

function wire(push, handsFree) {
  wired = true;
  push.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    push.setPointerCapture(event.pointerId);  // a finger sliding off still ends the turn
    if (active) active.pushDown();
  });
  for (const type of ["pointerup", "pointercancel"]) {
    push.addEventListener(type, () => active && active.pushUp());
  }
  push.addEventListener("contextmenu", (event) => event.preventDefault());  // long press on phones
  push.addEventListener("keydown", (event) => {
    if ((event.key === " " || event.key === "Enter") && !event.repeat) {
      event.preventDefault();
      if (active) active.pushDown();
    }
  });
  push.addEventListener("keyup", (event) => {
    if (event.key === " " || event.key === "Enter") {
      event.preventDefault();
      if (active) active.pushUp();
    }
  });
  handsFree.addEventListener("change", () => active && active.setHandsFree(handsFree.checked));
}
