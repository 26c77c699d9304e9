// The conversation: history, the composer, and the reply streaming in over the socket.
//
// The markup is static (index.html), so its listeners are wired once and talk to whichever
// Chat is active; a new Chat is made for each sign-in and its state starts empty.

import { ApiError, api, get, qs } from "./api.js";
import { byId, h, say, when } from "./dom.js";
import { Voice } from "./voice.js";

const PAGE = 50;
const MAX_BYTES = 32 * 1024;  // the server refuses a bigger message (and closes the socket)
const NEAR_BOTTOM_PX = 120;

let active = null;
let wired = false;

export class Chat {
  constructor({ persona }) {
    this.persona = persona;
    this.conn = null;
    this.loaded = false;
    this.oldestId = null;
    this.ids = new Set();       // messages already on screen (history and live can overlap)
    this.pending = [];          // our own messages, waiting for the server's user_message
    this.reply = null;          // the reply being streamed: {li, body, text}
    this.wasReconnecting = false;
    this.voice = new Voice({
      status: byId("voice-status"),
      push: byId("voice-push"),
      handsFree: byId("voice-handsfree"),
    });
    byId("chat-log").replaceChildren();
    byId("chat-earlier").hidden = true;
    say(byId("chat-connection"), "");
    active = this;
    if (!wired) wire();
  }

  attach(conn) {
    this.conn = conn;
    this.voice.attach(conn);
  }

  /** Signed out: let go of the microphone and the screen. */
  detach() {
    this.voice.stop();
    if (active === this) active = null;
    byId("chat-log").replaceChildren();
    this.showStop(false);
  }

  async enter() {
    if (!this.loaded) {
      this.loaded = true;
      await this.loadHistory();
    }
    scrollToBottom();
    // On a phone, focusing would throw the keyboard over the conversation; on desktop it helps.
    if (matchMedia("(pointer: fine)").matches) byId("chat-input").focus();
  }

  /** Leaving the room turns voice off: nobody should be listened to from another page. */
  leave() {
    this.voice.stop();
  }

  // -- history ------------------------------------------------------------------------

  async loadHistory() {
    try {
      const { messages } = await get(`/api/messages${qs({ limit: PAGE })}`);
      for (const message of messages) this.addStored(message, "append");
      this.noteOldest(messages);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) this.addLine("error", error.message);
    }
    this.updateEmpty();
  }

  async loadEarlier() {
    const button = byId("chat-earlier");
    const scroller = byId("chat-scroll");
    button.disabled = true;
    try {
      const { messages } = await get(`/api/messages${qs({ before: this.oldestId, limit: PAGE })}`);
      const before = scroller.scrollHeight;
      // Oldest first from the server; prepend newest-first so the order comes out right.
      for (const message of [...messages].reverse()) this.addStored(message, "prepend");
      scroller.scrollTop += scroller.scrollHeight - before;  // keep what was being read in place
      this.noteOldest(messages);
    } catch (error) {
      this.addLine("error", error.message);
    } finally {
      button.disabled = false;
    }
  }

  noteOldest(messages) {
    if (messages.length) this.oldestId = messages[0].id;
    byId("chat-earlier").hidden = messages.length < PAGE;
  }

  addStored(message, where) {
    if (this.ids.has(message.id)) return;
    const li = bubble(message.role, message.content, this.persona);
    li.dataset.id = message.id;
    this.ids.add(message.id);
    setMeta(li, message.created_at, message.status === "interrupted" ? "stopped" : "");
    const log = byId("chat-log");
    if (where === "prepend") log.prepend(li);
    else log.append(li);
  }

  // -- events from the socket ---------------------------------------------------------

  handle(event) {
    switch (event.type) {
      case "hello":
        if (event.persona) this.persona = event.persona;
        this.updateEmpty();
        break;
      case "user_message": this.userMessage(event); break;
      case "delta": this.delta(event.text || ""); break;
      case "done": this.done(event); break;
      case "emotion": this.emotion(event); break;
      case "notice": this.addLine("notice", event.text); break;
      case "tool_proposal": this.proposal(event); break;
      case "tool_result": this.proposalResult(event); break;
      case "reminder": this.addLine("reminder", event.text); break;
      case "made": this.made(event); break;
      case "error":
        this.voice.errorArrived();
        this.endReply("cut off");
        this.addLine("error", event.text);
        break;
      default:
        this.voice.handle(event);  // voice_ready, transcript, speaking, audio_clear
    }
  }

  userMessage(event) {
    const hasId = event.id !== undefined && event.id !== null;
    if (hasId && this.ids.has(event.id)) return;
    const text = (event.text || "").trim();
    const index = this.pending.findIndex((p) => p.text.trim() === text);
    let li;
    if (index >= 0) {
      li = this.pending.splice(index, 1)[0].li;  // our own, confirmed
      li.classList.remove("sending");
      setMeta(li, new Date().toISOString(), "");
    } else {
      li = this.append(bubble("user", event.text || "", this.persona));  // another tab, or voice
      setMeta(li, new Date().toISOString(), "");
    }
    if (hasId) {
      li.dataset.id = event.id;
      this.ids.add(event.id);
    }
    this.voice.transcriptHeard();
  }

  delta(text) {
    this.confirmPending();
    if (!this.reply) {
      const li = this.append(bubble("assistant", "", this.persona));
      li.classList.add("streaming");
      li.setAttribute("aria-busy", "true");  // read out once complete, not piece by piece
      this.reply = { li, body: li.querySelector(".text"), text: "" };
      this.showStop(true);
    }
    this.reply.text += text;
    const stick = nearBottom();
    this.reply.body.textContent = this.reply.text;
    if (stick) scrollToBottom();
  }

  done(event) {
    this.confirmPending();
    let li;
    if (this.reply) {
      li = this.reply.li;
      if (event.text) this.reply.body.textContent = event.text;  // the stored text is the truth
      this.endReply(event.interrupted ? "stopped" : "");
    } else {
      // Nothing streamed and nothing new to show (a stop before the first word).
      if (!event.text || (event.id != null && this.ids.has(event.id))) return;
      li = this.append(bubble("assistant", event.text || "", this.persona));
      setMeta(li, new Date().toISOString(), event.interrupted ? "stopped" : "");
    }
    if (event.id != null) {
      li.dataset.id = event.id;
      this.ids.add(event.id);
    }
  }

  /** Close the streaming bubble (done, stopped, or an error mid-reply). */
  endReply(note) {
    if (!this.reply) return;
    const { li } = this.reply;
    li.classList.remove("streaming");
    li.removeAttribute("aria-busy");
    setMeta(li, new Date().toISOString(), note);
    this.reply = null;
    this.showStop(false);
  }

  emotion(event) {
    const li = byId("chat-log").querySelector(`[data-id="${CSS.escape(String(event.message_id))}"]`);
    const felt = (event.labels || []).filter((label) => label !== "neutral");
    if (!li || !felt.length) return;
    const tag = li.querySelector(".felt") || li.querySelector(".meta").appendChild(h("span", { class: "felt" }));
    tag.textContent = ` · ${felt.join(", ")}`;
  }

  /** A reply means our message arrived, even if its echo never does. */
  confirmPending() {
    for (const { li } of this.pending) li.classList.remove("sending");
    this.pending = [];
  }

  // -- what the person does -----------------------------------------------------------

  send() {
    const input = byId("chat-input");
    const text = input.value;
    if (!text.trim()) return;
    if (new TextEncoder().encode(text).length > MAX_BYTES) {
      this.addLine("error", "That's too long to send at once (32 KB at most). Try splitting it.");
      return;
    }
    const sent = this.conn.send({ type: "message", text });
    const li = this.append(bubble("user", text, this.persona));
    li.classList.add("sending");
    setMeta(li, null, sent ? "" : "waiting to send…");
    this.pending.push({ text, li });
    input.value = "";
    autoGrow(input);
    scrollToBottom();
  }

  stop() {
    this.conn.send({ type: "stop" });
  }

  // -- the screen ---------------------------------------------------------------------

  append(li) {
    const stick = nearBottom();
    byId("chat-log").append(li);
    this.updateEmpty();
    if (stick) scrollToBottom();
    return li;
  }

  /** Notices and errors sit in the conversation, where they happened. */
  /** An action waiting for approval, shown whole (recipients, subject, body, every item). */
  /** Something os1 made: a letter's handwritten page, a book, a piece of music. Files are
   *  fetched through the person's own routes (the event carries no paths). */
  made(event) {
    const files = event.files || [];
    const links = [];
    let player = null;
    if (event.kind === "music") {
      player = h("audio", { controls: true, preload: "none", src: `/api/music/${event.id}/wav`,
                            "data-testid": "made-audio" });
      links.push(h("a", { href: `/api/music/${event.id}/mid`, download: "" }, "MIDI"));
    } else if (event.kind === "book") {
      for (const fmt of ["pdf", "epub"]) {
        if (files.includes(fmt)) links.push(h("a", { href: `/api/books/${event.id}/${fmt}`, download: "" },
                                              fmt.toUpperCase()));
      }
    } else if (event.kind === "letter" || event.kind === "handwritten") {
      links.push(h("a", { href: `/api/letters/${event.id}/handwritten?format=pdf`, target: "_blank" },
                   "Handwritten PDF"),
                 h("a", { href: `/api/letters/${event.id}/handwritten?format=png`, target: "_blank" },
                   "PNG"));
    }
    const label = event.kind === "music" ? `♪ ${event.title}` : event.title;
    this.append(h("li", { class: `line line-made made-${event.kind}`, "data-testid": "chat-made",
                          "data-kind": event.kind },
      h("span", { class: "made-title" }, label), player, h("span", { class: "made-links" }, links)));
  }

  proposal(event) {
    if (document.querySelector(`[data-proposal="${event.proposal_id}"]`)) return;
    const status = h("span", { class: "proposal-status", "data-testid": "proposal-status" });
    const decide = async (approve) => {
      for (const b of card.querySelectorAll("button")) b.disabled = true;
      status.textContent = approve ? "Working…" : "Declining…";
      try {
        await api("POST", `/api/proposals/${event.proposal_id}/${approve ? "approve" : "decline"}`);
      } catch (err) {
        status.textContent = err.message || String(err);
        for (const b of card.querySelectorAll("button")) b.disabled = false;
      }
    };
    const card = h("li", { class: "line line-proposal", "data-proposal": String(event.proposal_id),
                           "data-testid": "chat-proposal" },
      h("pre", { class: "proposal-text" }, event.text || ""),
      h("div", { class: "proposal-actions" },
        h("button", { type: "button", "data-testid": "proposal-approve",
                      onclick: () => decide(true) }, "Approve"),
        h("button", { type: "button", class: "secondary", "data-testid": "proposal-decline",
                      onclick: () => decide(false) }, "Decline"),
        status));
    this.append(card);
  }

  proposalResult(event) {
    const card = document.querySelector(`[data-proposal="${event.proposal_id}"]`);
    if (card) {
      for (const b of card.querySelectorAll("button")) b.remove();
      const status = card.querySelector(".proposal-status");
      if (status) status.textContent = event.text || event.status;
    } else {
      this.addLine("notice", event.text);
    }
  }

  addLine(kind, text) {
    if (!text) return;
    const li = h("li", { class: `line line-${kind}`, "data-testid": `chat-${kind}` },
      h("span", { class: "visually-hidden" }, kind === "error" ? "Problem: " : "Note: "), text);
    this.append(li);
  }

  updateEmpty() {
    const empty = byId("chat-log").children.length === 0;
    byId("chat-empty").hidden = !empty || !this.loaded;
    const name = this.persona && this.persona.name;
    byId("chat-empty-text").textContent = name ? `Say hello to ${name}.` : "Say hello.";
  }

  showStop(on) {
    byId("chat-stop").hidden = !on;
  }

  connectionState(state) {
    const banner = byId("chat-connection");
    if (state === "reconnecting") {
      this.wasReconnecting = true;
      say(banner, "Reconnecting…");
      this.voice.socketLost();
    } else if (state === "open") {
      say(banner, "");
      if (this.wasReconnecting) this.voice.socketBack();
      this.wasReconnecting = false;
      for (const { li } of this.pending) setMeta(li, null, "");
    } else {
      say(banner, "");
    }
  }
}

// -- pieces ---------------------------------------------------------------------------

function bubble(role, text, persona) {
  const who = role === "user" ? "You" : (persona && persona.name) || "OS1";
  return h("li", { class: `msg msg-${role}`, "data-testid": "message", "data-role": role },
    h("span", { class: "visually-hidden" }, `${who}: `),
    h("div", { class: "text", "data-testid": `message-${role}` }, text),
    h("div", { class: "meta" }));
}

function setMeta(li, iso, note) {
  const meta = li.querySelector(".meta");
  if (iso) meta.title = when(iso);
  const time = iso ? new Date(iso).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" }) : "";
  const felt = meta.querySelector(".felt");
  meta.textContent = [time, note].filter(Boolean).join(" · ");
  if (felt) meta.append(felt);
}

function nearBottom() {
  const s = byId("chat-scroll");
  return s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX;
}

function scrollToBottom() {
  const s = byId("chat-scroll");
  s.scrollTop = s.scrollHeight;
}

/** The box grows with what is typed, up to a few lines, then scrolls. */
function autoGrow(input) {
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
}

function wire() {
  wired = true;
  const input = byId("chat-input");
  byId("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (active) active.send();
  });
  input.addEventListener("keydown", (event) => {
    // Enter sends, Shift+Enter is a new line; an IME composing a character keeps its Enter.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (active) active.send();
    } else if (event.key === "Escape" && active && active.reply) {
      active.stop();
    }
  });
  input.addEventListener("input", () => autoGrow(input));
  byId("chat-stop").addEventListener("click", () => active && active.stop());
  byId("chat-earlier").addEventListener("click", () => active && active.loadEarlier());
  // The page going away (or to the background on a phone) ends listening.
  window.addEventListener("pagehide", () => active && active.voice.stop());
}
