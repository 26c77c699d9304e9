// OS1 in the browser: who is signed in, which room is showing, and the one WebSocket
// every room shares. The rooms themselves live in their own modules.

import { ApiError, get, whenSignedOut } from "./api.js";
import { showAuth } from "./auth.js";
import { Chat } from "./chat.js";
import { byId } from "./dom.js";
import { startGenesis } from "./genesis.js";
import { showMemories } from "./memories.js";
import { showMood } from "./mood.js";
import { showSettings } from "./settings.js";
import { Connection } from "./socket.js";

const ROOMS = ["chat", "memories", "mood", "settings"];

const session = {
  me: null,          // {user, persona} from /api/me; null when signed out
  conn: null,        // the Connection, while signed in with a companion
  chat: null,        // the Chat, built once per sign-in
};

/** Show exactly one view; move focus to it so keyboard and screen-reader users follow. */
function showView(name) {
  for (const view of document.querySelectorAll(".view")) view.hidden = view.id !== `view-${name}`;
  document.body.dataset.view = name;
  const withCompanion = ROOMS.includes(name);
  byId("topbar").hidden = !withCompanion;
  for (const link of document.querySelectorAll("[data-route]")) {
    if (link.dataset.route === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function setCompanionName(persona) {
  const name = (persona && persona.name) || "OS1";
  byId("brand-name").textContent = name;
  document.title = persona ? `${name} · OS1` : "OS1";
}

/** The socket and the chat live as long as the sign-in, so other tabs' messages still arrive. */
function connect() {
  if (session.conn) return;
  // This sign-in's chat: late callbacks after signing out reach it, not a null or the next one.
  const chat = new Chat({ persona: session.me.persona });
  session.chat = chat;
  session.conn = new Connection({
    onEvent: (event) => {
      if (event.type === "hello" && event.persona && session.me) {
        session.me.persona = event.persona;
        setCompanionName(event.persona);
      }
      chat.handle(event);
    },
    onAudio: (buffer) => chat.voice.play(buffer),
    onState: (state) => chat.connectionState(state),
    stillSignedIn,
  });
  chat.attach(session.conn);
  session.conn.start();
}

function disconnect() {
  if (session.chat) session.chat.detach();
  if (session.conn) session.conn.stop();
  session.conn = null;
  session.chat = null;
}

async function stillSignedIn() {
  try {
    await get("/api/me");
    return true;
  } catch (error) {
    return !(error instanceof ApiError && error.status === 401);
  }
}

/** Ask the server who we are. Answers false when signed out. */
async function loadMe() {
  try {
    session.me = await get("/api/me");
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      session.me = null;
      return false;
    }
    throw error;
  }
}

/** The hash decides the room; who we are decides whether that room is allowed yet. */
async function route() {
  const wanted = location.hash.replace(/^#\/?/, "") || "chat";
  if (!session.me) {
    disconnect();
    showView("auth");
    showAuth({ onSignedIn: signedIn });
    return;
  }
  if (!session.me.persona) {
    disconnect();
    showView("genesis");
    startGenesis({ onFinished: companionBorn });
    return;
  }
  const room = ROOMS.includes(wanted) ? wanted : "chat";
  if (session.chat && room !== "chat") session.chat.leave();
  setCompanionName(session.me.persona);
  connect();
  showView(room);
  // Moving focus to the room's heading tells screen readers where they are now.
  if (room !== "chat") byId(`${room}-title`).focus({ preventScroll: true });
  if (room === "chat") session.chat.enter();
  else if (room === "memories") showMemories();
  else if (room === "mood") showMood();
  else if (room === "settings") showSettings({ me: session.me, onSignedOut: signedOut, onChanged: settingsChanged });
}

/** Change the hash (which routes, through hashchange), or route now if it is already there. */
function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

async function signedIn() {
  await loadMe();
  if (!session.me.persona) go("#/genesis");
  else go(ROOMS.includes(location.hash.replace(/^#\/?/, "")) ? location.hash : "#/chat");
}

/** Genesis finished: the companion speaks first, as OS1 does when it wakes. */
function companionBorn(persona) {
  session.me.persona = persona;
  connect();
  session.conn.send({ type: "greet" });  // waits in the outbox until the socket is open
  go("#/chat");
}

function signedOut() {
  session.me = null;
  disconnect();
  forgetScreens();
  go("#/signin");
}

/** Whoever signs in next on this browser must not glimpse the last person's things. */
function forgetScreens() {
  for (const id of ["chat-log", "memory-list", "key-list", "mood-chart"]) byId(id).replaceChildren();
  for (const id of ["memory-search", "key-name", "password-current", "password-new"]) byId(id).value = "";
  byId("key-value").textContent = "";
  byId("key-new").hidden = true;
  byId("companion-name").textContent = "";
  byId("settings-handle").textContent = "";
  byId("chat-empty-text").textContent = "Say hello.";
  setCompanionName(null);
}

function settingsChanged(settings) {
  if (settings.companion_name && session.me.persona) {
    session.me.persona.name = settings.companion_name;
    setCompanionName(session.me.persona);
  }
}

async function boot() {
  whenSignedOut(() => {
    if (session.me) signedOut();
  });
  window.addEventListener("hashchange", () => route());
  try {
    await loadMe();
  } catch (error) {
    showView("loading");
    document.querySelector("#view-loading p").textContent = error.message;
    setTimeout(boot, 3000);
    return;
  }
  await route();
}

boot();
