// The memory viewer: what the companion remembers, searchable, correctable, forgettable.
// Forgetting asks once, inline (a native confirm() can't be styled or read well on phones).

import { del, get, patch, post, qs } from "./api.js";
import { busy, byId, h, say, when } from "./dom.js";

const KIND_NAMES = {
  fact: "Fact", person: "Someone", preference: "Likes", plan: "Plan", event: "Event",
  feeling: "Feeling", reflection: "Thought", moment: "Moment",
};
const SEARCH_DELAY_MS = 250;

let wired = false;
let searchTimer = null;
let generation = 0;  // a slow old search must not overwrite a newer one

export async function showMemories() {
  if (!wired) wire();
  say(byId("memory-status"), "");
  await load();
}

function wire() {
  wired = true;
  byId("memory-search").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(load, SEARCH_DELAY_MS);
  });
  byId("memory-import").addEventListener("change", (event) => importFile(event.target));
}

async function load() {
  const mine = ++generation;
  const q = byId("memory-search").value.trim();
  const list = byId("memory-list");
  list.setAttribute("aria-busy", "true");
  try {
    const { memories } = await get(`/api/memories${qs({ q, limit: 100 })}`);
    if (mine !== generation) return;
    list.replaceChildren(...memories.map(item));
    const empty = byId("memory-empty");
    empty.textContent = q ? `Nothing remembered about “${q}”.` : "Nothing remembered yet.";
    empty.hidden = memories.length > 0;
  } catch (error) {
    if (mine === generation) say(byId("memory-status"), error.message, "error");
  } finally {
    if (mine === generation) list.removeAttribute("aria-busy");
  }
}

/** One memory: what it says, what kind, when it was learned, and what can be done with it. */
function item(memory) {
  const li = h("li", { class: `memory${memory.valid === false ? " outdated" : ""}`,
    "data-testid": "memory-item", "data-id": memory.id });
  li.append(
    h("p", { class: "memory-text", "data-testid": "memory-text" }, memory.content),
    h("p", { class: "memory-meta" }, describe(memory)),
    actions(li, memory),
  );
  return li;
}

function describe(memory) {
  const parts = [KIND_NAMES[memory.kind] || memory.kind];
  if (memory.about) parts.push(`about ${memory.about}`);
  if (memory.happens_at) parts.push(`on ${when(memory.happens_at, { time: false })}`);
  if (memory.learned_at) parts.push(`learned ${when(memory.learned_at, { time: false })}`);
  if (memory.valid === false) parts.push("no longer true");
  return parts.join(" · ");
}

function actions(li, memory) {
  return h("div", { class: "memory-actions" },
    h("button", { type: "button", class: "link-button", "data-testid": "memory-edit",
      "aria-label": `Edit: ${memory.content}`, onclick: () => edit(li, memory) }, "Edit"),
    h("button", { type: "button", class: "link-button danger", "data-testid": "memory-forget",
      "aria-label": `Forget: ${memory.content}`, onclick: () => askForget(li, memory) }, "Forget"));
}

/** Inline editing: the text becomes a box; Save sends the correction (PATCH). */
function edit(li, memory) {
  const id = `memory-edit-${memory.id}`;
  const box = h("textarea", { id, class: "memory-box", "data-testid": "memory-edit-text", rows: 3 });
  box.value = memory.content;
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const form = h("form", { class: "memory-form" },
    h("label", { for: id, class: "visually-hidden" }, "Memory text"),
    box, error,
    h("div", { class: "row" },
      h("button", { type: "submit", class: "button-primary", "data-testid": "memory-save" }, "Save"),
      h("button", { type: "button", class: "link-button", onclick: () => li.replaceWith(item(memory)) },
        "Cancel")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const content = box.value.trim();
    if (!content) {
      say(error, "A memory can't be empty. Forget it instead.");
      return;
    }
    await busy(form, async () => {
      try {
        const updated = await patch(`/api/memories/${memory.id}`, { content });
        const fresh = item(updated);
        li.replaceWith(fresh);
        fresh.querySelector("[data-testid=memory-edit]").focus();
      } catch (failure) {
        say(error, failure.message);
      }
    });
  });
  box.addEventListener("keydown", (event) => {
    if (event.key === "Escape") li.replaceWith(item(memory));
  });
  li.replaceChildren(form);
  box.focus();
}

/** "Forget this?" in place of the buttons; Keep puts them back. */
function askForget(li, memory) {
  const bar = li.querySelector(".memory-actions");
  const keep = () => {
    const restored = actions(li, memory);
    bar.replaceWith(restored);
    restored.querySelector("[data-testid=memory-forget]").focus();
  };
  const confirmButton = h("button", { type: "button", class: "button-danger",
    "data-testid": "memory-forget-confirm", onclick: () => forget(li, memory, confirmBar) },
  "Yes, forget it");
  const confirmBar = h("div", { class: "memory-actions confirm", role: "group", "aria-label": "Confirm forgetting" },
    h("span", {}, "Forget this, and what was drawn from it?"),
    confirmButton,
    h("button", { type: "button", class: "link-button", onclick: keep }, "Keep"));
  bar.replaceWith(confirmBar);
  confirmButton.focus();
}

async function forget(li, memory, bar) {
  await busy(bar, async () => {
    try {
      await del(`/api/memories/${memory.id}`);
      li.remove();
      say(byId("memory-status"), "Forgotten.");
      byId("memory-empty").hidden = byId("memory-list").children.length > 0;
      byId("memory-search").focus();
    } catch (failure) {
      say(byId("memory-status"), failure.message, "error");
    }
  });
}

/** Import a file made by Export: sent as it is; the server checks it. */
async function importFile(input) {
  const file = input.files && input.files[0];
  input.value = "";  // choosing the same file again still fires "change"
  if (!file) return;
  const status = byId("memory-status");
  if (file.size > 5 * 1024 * 1024) {
    say(status, "That file is too big (5 MB at most).", "error");
    return;
  }
  say(status, `Importing ${file.name}…`);
  try {
    const text = await file.text();
    const { added, skipped } = await post("/api/memories/import", text);
    say(status, `Imported: ${added} added, ${skipped} already known or skipped.`);
    await load();
  } catch (failure) {
    say(status, failure.message, "error");
  }
}
