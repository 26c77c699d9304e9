// Small DOM helpers shared by the views. Everything text goes through textContent, never
// innerHTML: messages, memories and names come from people and from a model.

/** The element with this id (the views' skeletons live in index.html). */
export const byId = (id) => document.getElementById(id);

/**
 * Build an element: h("button", {class: "x", dataset: {id: 3}, onclick: fn}, "text", child).
 * Attributes whose value is false/null/undefined are left out, so conditions read inline.
 */
export function h(tag, attrs = {}, ...children) {
  const el = tag.startsWith("svg:")
    ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4))
    : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "text") el.textContent = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Show one message in a status/error element, or hide it when `text` is empty. */
export function say(el, text, kind = "") {
  el.textContent = text || "";
  el.hidden = !text;
  if (kind) el.dataset.kind = kind;
  else delete el.dataset.kind;
}

/** "14 Mar 2026, 09:30" in the person's own locale; "" for nothing. */
export function when(iso, { time = true } = {}) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const options = { day: "numeric", month: "short", year: "numeric" };
  if (time) Object.assign(options, { hour: "2-digit", minute: "2-digit" });
  return date.toLocaleString(undefined, options);
}

/** Disable a form's controls while a request runs, so a double click can't send twice. */
export async function busy(form, work) {
  const controls = [...form.querySelectorAll("button, input, textarea, select")];
  const before = controls.map((c) => c.disabled);
  controls.forEach((c) => { c.disabled = true; });
  form.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    controls.forEach((c, i) => { c.disabled = before[i]; });
    form.removeAttribute("aria-busy");
  }
}

/** Wait `ms` milliseconds. */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
