// The annotate page: text selection, keyboard, and saving spans through the
// page's htmx endpoints. Offsets sent to the server are Python code points,
// half-open [start, end); selection.js (loaded first) converts them.
"use strict";

(() => {
  const root = document.getElementById("annotate");
  if (!root) {
    return;
  }
  const csrfToken = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
  const notices = document.getElementById("notices");
  const snapToggle = document.getElementById("snap-words");
  const labelByHotkey = new Map();
  const labelName = new Map();
  for (const button of root.querySelectorAll(".label-button")) {
    labelByHotkey.set(button.dataset.hotkey, button.dataset.label);
    labelName.set(button.dataset.label, button.textContent.replace(/^\s*\S+\s*/, "").trim());
  }
  const RETRY_DELAYS_MS = [1000, 2000, 4000, 8000, 15000, 30000];

  let selectedSpan = null;
  const undoStack = [];
  const unsaved = new Set();

  const textElement = () => document.getElementById("document-text");

  // ---- talking to the server -----------------------------------------------

  function newClientId() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function urlFor(template, spanId) {
    return template.replace("/0/", `/${spanId}/`);
  }

  function swapWorkspace(html) {
    const current = document.getElementById("workspace");
    const holder = document.createElement("div");
    holder.innerHTML = html;
    const replacement = holder.querySelector("#workspace");
    if (!current || !replacement) {
      return;
    }
    current.replaceWith(replacement);
    htmx.process(replacement);
    showSelectedSpan();
  }

  function notice(text, kind) {
    const item = document.createElement("div");
    item.className = `notice ${kind}`;
    item.setAttribute("role", kind === "unsaved" ? "alert" : "status");
    const message = document.createElement("span");
    message.className = "message";
    message.textContent = text;
    item.append(message);
    notices.append(item);
    return item;
  }

  function addButton(item, text, onClick) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = text;
    button.addEventListener("click", onClick);
    item.append(button);
    return button;
  }

  // Sends one write; keeps it on screen as "not saved" until the server takes
  // it. Server and network failures are retried with the same values (so a
  // create keeps its client_id and cannot be stored twice); a refusal (4xx) is
  // shown with the server's reason.
  function submit(operation) {
    const item = notice(`Saving: ${operation.description}`, "saving");
    unsaved.add(item);
    let attempt = 0;
    let timer = null;

    const finish = () => {
      clearTimeout(timer);
      unsaved.delete(item);
      item.remove();
    };

    const send = async () => {
      clearTimeout(timer);
      item.className = "notice saving";
      item.querySelector(".message").textContent = `Saving: ${operation.description}`;
      item.querySelectorAll("button").forEach((button) => button.remove());
      let response;
      try {
        response = await fetch(operation.url, {
          method: "POST",
          body: new URLSearchParams(operation.values),
          headers: { "HX-Request": "true", "X-CSRFToken": csrfToken },
          credentials: "same-origin",
        });
      } catch (error) {
        return failed("the server could not be reached", true);
      }
      if (response.ok) {
        const trigger = JSON.parse(response.headers.get("HX-Trigger") || "{}");
        swapWorkspace(await response.text());
        finish();
        operation.onSaved(trigger);
        return;
      }
      const reason = response.status >= 500 || response.status === 429
        ? `the server answered ${response.status}`
        : (await response.text()).slice(0, 500) || `refused (${response.status})`;
      failed(reason, response.status >= 500 || response.status === 429);
    };

    const failed = (reason, retryable) => {
      item.className = "notice unsaved";
      item.querySelector(".message").textContent =
        `Not saved: ${operation.description}. ${reason}.`;
      if (retryable) {
        addButton(item, "Retry now", send);
        const delay = RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length - 1)];
        attempt += 1;
        timer = setTimeout(send, delay);
      }
      addButton(item, "Discard", finish);
    };

    send();
  }

  // ---- operations ----------------------------------------------------------

  function describe(labelId, text) {
    const quote = text.length > 60 ? `${text.slice(0, 57)}…` : text;
    return `${labelName.get(String(labelId)) || "span"} “${quote}”`;
  }

  // Undo entries name spans by id; recreating a deleted span gives it a new id.
  function renameInUndo(oldId, newId) {
    for (const entry of undoStack) {
      if (entry.id === oldId) {
        entry.id = newId;
      }
    }
  }

  function createSpan(labelId, start, end, text, { recordUndo = true, replaces = null } = {}) {
    submit({
      url: root.dataset.createUrl,
      values: { label: labelId, start, end, text, client_id: newClientId() },
      description: describe(labelId, text),
      onSaved: (trigger) => {
        const id = String(trigger.spanCreated.id);
        if (replaces) {
          renameInUndo(replaces, id);
        }
        if (recordUndo) {
          undoStack.push({ kind: "create", id });
        }
      },
    });
  }

  function deleteSpan(spanId, { recordUndo = true } = {}) {
    const mark = textElement().querySelector(`mark[data-span="${spanId}"]`);
    submit({
      url: urlFor(root.dataset.deleteUrl, spanId),
      values: {},
      description: `delete ${mark ? describe(mark.className.match(/label-(\d+)/)[1], spanText(spanId)) : "span"}`,
      onSaved: (trigger) => {
        const deleted = trigger.spanDeleted;
        if (recordUndo) {
          undoStack.push({ kind: "delete", id: String(deleted.id), ...deleted });
        }
      },
    });
  }

  function relabelSpan(spanId, labelId, { recordUndo = true } = {}) {
    submit({
      url: urlFor(root.dataset.relabelUrl, spanId),
      values: { label: labelId },
      description: `relabel as ${labelName.get(String(labelId))}`,
      onSaved: (trigger) => {
        const relabeled = trigger.spanRelabeled;
        if (recordUndo && relabeled.previous !== relabeled.label) {
          undoStack.push({ kind: "relabel", id: String(relabeled.id), previous: relabeled.previous });
        }
      },
    });
  }

  function undo() {
    const entry = undoStack.pop();
    if (!entry) {
      return;
    }
    if (entry.kind === "create") {
      deleteSpan(entry.id, { recordUndo: false });
    } else if (entry.kind === "delete") {
      createSpan(entry.label, entry.start, entry.end, entry.text, {
        recordUndo: false,
        replaces: entry.id,
      });
    } else if (entry.kind === "relabel") {
      relabelSpan(entry.id, entry.previous, { recordUndo: false });
    }
  }

  function spanText(spanId) {
    return Array.from(textElement().querySelectorAll(`mark[data-span="${spanId}"]`))
      .map((mark) => mark.textContent)
      .join("");
  }

  // ---- selection of spans --------------------------------------------------

  function showSelectedSpan() {
    for (const element of document.querySelectorAll(".selected[data-span]")) {
      element.classList.remove("selected");
    }
    if (!selectedSpan) {
      return;
    }
    const elements = document.querySelectorAll(`[data-span="${selectedSpan}"]`);
    if (!elements.length) {
      selectedSpan = null;
      return;
    }
    elements.forEach((element) => element.classList.add("selected"));
  }

  function selectSpan(spanId) {
    selectedSpan = spanId;
    showSelectedSpan();
  }

  function applyLabel(labelId) {
    const span = AnnotatorSelection.selectedSpan(textElement(), snapToggle.checked);
    if (span) {
      window.getSelection().removeAllRanges();
      createSpan(labelId, span.start, span.end, span.text);
    } else if (selectedSpan) {
      relabelSpan(selectedSpan, labelId);
    }
  }

  // ---- events --------------------------------------------------------------

  AnnotatorSelection.rememberSnap(snapToggle);

  for (const button of root.querySelectorAll(".label-button")) {
    // Keep the text selection: pressing a button would otherwise move focus first.
    button.addEventListener("mousedown", (event) => event.preventDefault());
    button.addEventListener("click", () => applyLabel(button.dataset.label));
  }

  root.addEventListener("click", (event) => {
    const listed = event.target.closest(".span-select");
    if (listed) {
      selectSpan(listed.dataset.span);
      const mark = textElement().querySelector(`mark[data-span="${listed.dataset.span}"]`);
      if (mark) {
        mark.scrollIntoView({ block: "nearest" });
      }
      return;
    }
    const mark = event.target.closest("#document-text mark[data-span]");
    if (mark && !event.shiftKey && window.getSelection().isCollapsed) {
      selectSpan(mark.dataset.span);
    } else if (!mark && event.target.closest("#document-text") && !event.shiftKey) {
      selectSpan(null);
    }
  });

  AnnotatorSelection.listenToEditorKeys({
    undo,
    select: selectSpan,
    selected: () => selectedSpan,
    remove: deleteSpan,
    labelByHotkey,
    applyLabel,
    keys: {
      n: () => root.dataset.nextUrl && window.location.assign(root.dataset.nextUrl),
      p: () => root.dataset.previousUrl && window.location.assign(root.dataset.previousUrl),
    },
  });

  window.addEventListener("beforeunload", (event) => {
    if (unsaved.size) {
      event.preventDefault();
    }
  });
})();
