// Genesis: the welcome, then the questions one at a time, as OS1 asks Theodore in the film.
// Each answer is stored by the server as it is given, so a reload picks up where it stopped.

import { ApiError, get, post } from "./api.js";
import { busy, byId, say, sleep } from "./dom.js";

let finished = () => {};
let current = null;  // the question being asked: {key, text, hint}
let wired = false;

export async function startGenesis({ onFinished }) {
  finished = onFinished;
  if (!wired) wire();
  const welcome = byId("genesis-welcome");
  byId("genesis-form").hidden = true;
  byId("genesis-initialising").hidden = true;
  try {
    const state = await get("/api/genesis");
    showWelcome(welcome, state.welcome || "");
    if (state.question) {
      // Let the welcome be read before the first question arrives.
      if (!Object.keys(state.answers || {}).length) await sleep(900);
      ask(state.question);
    } else {
      await finish();
    }
  } catch (error) {
    showWelcome(welcome, error.message);
  }
}

function wire() {
  wired = true;
  byId("genesis-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    await answer(event.currentTarget);
  });
}

/** The welcome is a few lines; each becomes a paragraph that fades in after the last. */
function showWelcome(el, text) {
  el.replaceChildren(...text.split("\n").filter(Boolean).map((line, i) => {
    const p = document.createElement("p");
    p.textContent = line;
    p.style.animationDelay = `${i * 0.25}s`;
    return p;
  }));
}

function ask(question) {
  current = question;
  const form = byId("genesis-form");
  const label = byId("genesis-question");
  const hint = byId("genesis-hint");
  label.textContent = question.text;
  // Restart the fade so each new question visibly arrives.
  label.classList.remove("arrive");
  void label.offsetWidth;
  label.classList.add("arrive");
  say(hint, question.hint || "");
  say(byId("genesis-error"), "");
  form.hidden = false;
  const input = byId("genesis-answer");
  input.value = "";
  input.removeAttribute("aria-invalid");
  input.focus();
}

async function answer(form) {
  const input = byId("genesis-answer");
  const error = byId("genesis-error");
  const text = input.value.trim();
  if (!text) {
    say(error, "Take your time. I'll wait for an answer.");
    input.focus();
    return;
  }
  let next;
  const ok = await busy(form, async () => {
    try {
      next = (await post("/api/genesis/answer", { key: current.key, answer: text })).question;
      return true;
    } catch (failure) {
      // 422: the answer can't be used; the server says how to answer, and we ask again.
      say(error, failure.message);
      input.setAttribute("aria-invalid", "true");
      return false;
    }
  });
  if (!ok) {
    input.focus();
    input.select();
    return;
  }
  if (next) ask(next);
  else await finish();
}

/** The companion chooses its name; that takes the model a few seconds. */
async function finish() {
  byId("genesis-form").hidden = true;
  byId("genesis-welcome").replaceChildren();
  const waiting = byId("genesis-initialising");
  waiting.hidden = false;
  try {
    const started = Date.now();
    const { persona } = await post("/api/genesis/finish");
    // A moment of "initialising" even when the model is quick: the film's pause is the point.
    await sleep(Math.max(0, 1200 - (Date.now() - started)));
    finished(persona);
  } catch (failure) {
    waiting.hidden = true;
    if (failure instanceof ApiError && failure.status === 409) {
      await startGenesis({ onFinished: finished });  // a question remains: ask it
      return;
    }
    showWelcome(byId("genesis-welcome"), `${failure.message}\nReload the page to try again.`);
  }
}
