// The conversation's WebSocket: one per tab, reconnecting on its own.
//
// Every event carries a `seq`. We remember the last one we saw, and after a reconnect the
// first thing we send is {"type": "resume", "after": lastSeq}, so the server replays what
// happened while we were away (a reply keeps streaming into the same bubble).

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
const PING_MS = 25000;  // keeps proxies from closing a quiet socket
const CLOSE_UNAUTHORIZED = 4401;

export class Connection {
  /**
   * onEvent(event): every JSON event from the server.
   * onAudio(arrayBuffer): binary frames (speech to play).
   * onState("connecting" | "open" | "reconnecting" | "closed").
   * stillSignedIn(): resolves false when the session is gone (then we stop trying).
   */
  constructor({ onEvent, onAudio, onState, stillSignedIn }) {
    this.onEvent = onEvent;
    this.onAudio = onAudio;
    this.onState = onState;
    this.stillSignedIn = stillSignedIn;
    this.ws = null;
    this.lastSeq = null;
    this.outbox = [];  // frames said while disconnected, sent after the resume
    this.attempt = 0;
    this.stopped = false;
    this.pingTimer = null;
    this.retryTimer = null;
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  start() {
    this.stopped = false;
    this.open();
  }

  /** For good (logging out): no reconnecting. */
  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    if (this.ws) this.ws.close(1000, "bye");
    this.ws = null;
    this.outbox = [];
    this.onState("closed");
  }

  /** Send a JSON frame; while reconnecting, text frames wait (voice frames don't: too late). */
  send(frame) {
    if (this.isOpen) {
      this.ws.send(JSON.stringify(frame));
      return true;
    }
    if (!frame.type.startsWith("voice")) this.outbox.push(frame);
    return false;
  }

  sendBinary(buffer) {
    if (!this.isOpen) return false;
    this.ws.send(buffer);
    return true;
  }

  open() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}/ws`);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    this.onState(this.attempt === 0 ? "connecting" : "reconnecting");
    ws.addEventListener("open", () => this.opened(ws));
    ws.addEventListener("message", (message) => this.received(message));
    ws.addEventListener("close", (event) => this.closed(ws, event.code));
  }

  opened(ws) {
    if (ws !== this.ws) return;
    // Resume before anything else, so missed events come back in order.
    if (this.lastSeq !== null) ws.send(JSON.stringify({ type: "resume", after: this.lastSeq }));
    this.attempt = 0;
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => this.send({ type: "ping" }), PING_MS);
    this.onState("open");
  }

  flush() {
    const waiting = this.outbox;
    this.outbox = [];
    for (const frame of waiting) this.ws.send(JSON.stringify(frame));
  }

  received(message) {
    if (typeof message.data !== "string") {
      this.onAudio(message.data);
      return;
    }
    let data;
    try {
      data = JSON.parse(message.data);
    } catch {
      return;  // not ours to show; the server only sends JSON text
    }
    for (const event of Array.isArray(data) ? data : [data]) {
      if (event.type === "hello" && this.lastSeq === null && event.seq) {
        // First connection: tell the server where we start, so nothing after it is held back.
        this.lastSeq = event.seq;
        this.send({ type: "resume", after: event.seq });
      }
      if (event.type === "hello") {
        this.flush();  // what was said while away goes after the resume, never before
      } else if (event.seq && event.type !== "hello") {
        this.lastSeq = event.seq;
      }
      if (event.type !== "pong") this.onEvent(event);
    }
  }

  async closed(ws, code) {
    if (ws !== this.ws) return;
    clearInterval(this.pingTimer);
    this.ws = null;
    if (this.stopped) return;
    this.onState("reconnecting");
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt += 1;
    // A little jitter, so a restarted server isn't met by every tab at the same instant.
    const wait = delay * (0.8 + Math.random() * 0.4);
    this.retryTimer = setTimeout(async () => {
      if (this.stopped) return;
      // A socket refused because the session ended looks like any drop; ask before retrying.
      if ((code === CLOSE_UNAUTHORIZED || this.attempt > 1) && !(await this.stillSignedIn())) {
        this.stop();
        return;
      }
      if (!this.stopped) this.open();
    }, wait);
  }
}
