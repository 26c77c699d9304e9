// Sign in, or create an account: one form, two buttons.

import { ApiError, post, rememberCsrf } from "./api.js";
import { busy, byId, say } from "./dom.js";

let wired = false;
let signedIn = () => {};

export function showAuth({ onSignedIn }) {
  signedIn = onSignedIn;
  if (!wired) wire();
  byId("auth-password").value = "";
  byId("auth-handle").focus();
}

function wire() {
  wired = true;
  const form = byId("auth-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    // Which button was pressed decides the action; Enter in a field means "Sign in".
    const action = (event.submitter && event.submitter.dataset.action) || "login";
    await submit(form, action);
  });
}

/** Check what the browser can check, so the server's answer is about real problems. */
function localProblem(handle, password, action) {
  if (!handle) return "Enter your name.";
  if (!password) return "Enter your password.";
  if (action === "signup") {
    if (!/^[A-Za-z0-9_.-]{3,40}$/.test(handle)) return "A name is 3–40 letters, digits, _ . or -.";
    if (password.length < 8) return "Choose a password of at least 8 characters.";
  }
  return "";
}

async function submit(form, action) {
  const error = byId("auth-error");
  const handle = byId("auth-handle").value.trim();
  const password = byId("auth-password").value;
  const problem = localProblem(handle, password, action);
  if (problem) {
    say(error, problem);
    return;
  }
  say(error, "");
  let failure = null;
  await busy(form, async () => {
    try {
      const answer = await post(`/api/auth/${action}`, { handle, password });
      rememberCsrf(answer && answer.csrf_token);
      byId("auth-password").value = "";
    } catch (caught) {
      failure = caught;
    }
  });
  if (!failure) {
    await signedIn();
    return;
  }
  // A 429 says how long to wait; the buttons stay on, since the limit is per name.
  say(error, explain(failure, action));
}

function explain(failure, action) {
  if (!(failure instanceof ApiError)) return String(failure.message || failure);
  if (failure.status === 429) {
    const wait = failure.retryAfter;
    return wait ? `Too many tries. Please wait ${duration(wait)} and try again.` : failure.message;
  }
  if (failure.status === 409 && action === "signup") return failure.message || "That name is taken.";
  return failure.message;
}

function duration(seconds) {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}
