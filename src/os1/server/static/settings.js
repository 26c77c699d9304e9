// Settings: what the companion may do, its voice, API keys, the password, signing out.

import { del, get, patch, post } from "./api.js";
import { busy, byId, h, say, when } from "./dom.js";

let wired = false;
let hooks = { me: null, onSignedOut: () => {}, onChanged: () => {} };

export async function showSettings(options) {
  hooks = options;
  if (!wired) wire();
  byId("settings-handle").textContent = hooks.me.user.handle;
  byId("password-username").value = hooks.me.user.handle;
  byId("companion-name").textContent = (hooks.me.persona && hooks.me.persona.name) || "—";
  say(byId("settings-status"), "");
  await Promise.all([loadSettings(), loadKeys()]);
}

function wire() {
  wired = true;
  for (const name of ["memory", "emotion"]) {
    const box = byId(`setting-${name}`);
    box.addEventListener("change", () => change({ [name]: box.checked }, box));
  }
  const voice = byId("setting-voice");
  voice.addEventListener("change", () => change({ voice: voice.value }, voice));
  byId("key-form").addEventListener("submit", createKey);
  byId("key-copy").addEventListener("click", copyKey);
  byId("key-dismiss").addEventListener("click", hideKey);
  byId("password-form").addEventListener("submit", changePassword);
  byId("logout").addEventListener("click", logOut);
}

// -- settings -------------------------------------------------------------------------

async function loadSettings() {
  try {
    render(await get("/api/settings"));
  } catch (error) {
    say(byId("settings-status"), error.message, "error");
  }
}

function render(settings) {
  byId("setting-memory").checked = Boolean(settings.memory);
  byId("setting-emotion").checked = Boolean(settings.emotion);
  const voice = byId("setting-voice");
  if (settings.voice && ![...voice.options].some((o) => o.value === settings.voice)) {
    voice.append(h("option", { value: settings.voice }, settings.voice));
  }
  voice.value = settings.voice || "female";
  if (settings.companion_name) byId("companion-name").textContent = settings.companion_name;
}

/** Each control saves as soon as it changes; if saving fails it goes back to what's stored. */
async function change(body, control) {
  const status = byId("settings-status");
  control.disabled = true;
  try {
    const settings = await patch("/api/settings", body);
    render(settings);
    hooks.onChanged(settings);
    say(status, "Saved.");
  } catch (error) {
    say(status, error.message, "error");
    await loadSettings();
  } finally {
    control.disabled = false;
  }
}

// -- API keys -------------------------------------------------------------------------

async function loadKeys() {
  try {
    const { keys } = await get("/api/keys");
    byId("key-list").replaceChildren(...keys.map(keyItem));
    if (!keys.length) byId("key-list").append(h("li", { class: "muted" }, "No keys yet."));
  } catch (error) {
    say(byId("key-error"), error.message);
  }
}

function keyItem(key) {
  const used = key.last_used_at ? `last used ${when(key.last_used_at)}` : "never used";
  const li = h("li", { class: "key", "data-testid": "key-item", "data-id": key.id },
    h("div", {},
      h("strong", {}, key.name || "key"), " ",
      h("code", {}, `${key.prefix}…`),
      h("div", { class: "muted small" }, `made ${when(key.created_at)} · ${used}`)));
  li.append(h("button", { type: "button", class: "link-button danger", "data-testid": "key-delete",
    "aria-label": `Delete key ${key.name}`, onclick: () => confirmDelete(li, key) }, "Delete"));
  return li;
}

function confirmDelete(li, key) {
  const button = li.querySelector("[data-testid=key-delete]");
  const yes = h("button", { type: "button", class: "button-danger", "data-testid": "key-delete-confirm" },
    "Delete it");
  const no = h("button", { type: "button", class: "link-button" }, "Keep");
  const bar = h("div", { class: "row", role: "group", "aria-label": "Confirm deleting the key" },
    h("span", { class: "small" }, "Apps using it will stop working."), yes, no);
  no.addEventListener("click", () => {
    bar.replaceWith(button);
    button.focus();
  });
  yes.addEventListener("click", () => busy(bar, async () => {
    try {
      await del(`/api/keys/${key.id}`);
      await loadKeys();
    } catch (error) {
      say(byId("key-error"), error.message);
    }
  }));
  button.replaceWith(bar);
  yes.focus();
}

async function createKey(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const name = byId("key-name").value.trim() || "key";
  say(byId("key-error"), "");
  await busy(form, async () => {
    try {
      const made = await post("/api/keys", { name });
      byId("key-value").textContent = made.key;  // shown this once; never stored by the page
      byId("key-new").hidden = false;
      byId("key-copy").textContent = "Copy";
      byId("key-name").value = "";
      await loadKeys();
    } catch (error) {
      say(byId("key-error"), error.message);
    }
  });
  if (!byId("key-new").hidden) byId("key-copy").focus();
}

async function copyKey() {
  const text = byId("key-value").textContent;
  const button = byId("key-copy");
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  } catch {
    // No clipboard on plain http: select the key so Ctrl+C / long-press copies it.
    const range = document.createRange();
    range.selectNodeContents(byId("key-value"));
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    button.textContent = "Selected: copy it now";
  }
}

function hideKey() {
  byId("key-value").textContent = "";
  byId("key-new").hidden = true;
  byId("key-name").focus();
}

// -- password and session -------------------------------------------------------------

async function changePassword(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const error = byId("password-error");
  const status = byId("password-status");
  const current = byId("password-current").value;
  const next = byId("password-new").value;
  say(status, "");
  if (!current || !next) {
    say(error, "Enter your current password and a new one.");
    return;
  }
  if (next.length < 8) {
    say(error, "The new password needs at least 8 characters.");
    return;
  }
  say(error, "");
  await busy(form, async () => {
    try {
      await post("/api/auth/password", { current_password: current, new_password: next });
      form.reset();
      say(status, "Password changed. Your other sessions were signed out.");
    } catch (failure) {
      say(error, failure.message);
    }
  });
}

async function logOut() {
  try {
    await post("/api/auth/logout");
  } catch {
    // Signed out already, or the server is away: either way, leave this page signed out.
  }
  hideKey();
  hooks.onSignedOut();
}
