// The adjudication page: the annotate page's keyboard habits applied to gold
// spans. Select text and press a label key to add a gold span; click a gold
// span, then Delete to reject it or a label key to relabel it; Ctrl+Z undoes,
// Esc clears. Also: "a" accepts the selected proposal, "A" every proposal, "e"
// moves the selected gold span to the selected text. Offsets are converted by
// selection.js (loaded first).
"use strict";

(() => {
  const root = document.getElementById("adjudicate");
  if (!root) {
    return;
  }
  const csrfToken = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
  const notices = document.getElementById("notices");
  const snapToggle = document.getElementById("snap-words");
  const labelByHotkey = new Map();
  for (const button of root.querySelectorAll(".label-button")) {
    labelByHotkey.set(button.dataset.hotkey, button.dataset.label);
  }
  const undoStack = [];
  let selectedGold = null;

  const textElement = () => document.getElementById("document-text");
  const urlFor = (template, id) => template.replace("/0/", `/${id}/`);

  function notice(text) {
    const item = document.createElement("div");
    item.className = "notice unsaved";
    item.setAttribute("role", "alert");
    const message = document.createElement("span");
    message.className = "message";
    message.textContent = text;
    const dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.textContent = "Dismiss";
    dismiss.addEventListener("click", () => item.remove());
    item.append(message, dismiss);
    notices.append(item);
  }

  function swapWorkspace(html) {
    const current = document.getElementById("workspace");
    const holder = document.createElement("div");
    holder.innerHTML = html;
    const replacement = holder.querySelector("#workspace");
    if (current && replacement) {
      current.replaceWith(replacement);
      htmx.process(replacement);
      showSelectedGold();
    }
  }

  // One write; the server answers with the new workspace, or a refusal to show.
  async function post(url, values, description, onSaved = () => {}) {
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        body: new URLSearchParams(values),
        headers: { "HX-Request": "true", "X-CSRFToken": csrfToken },
        credentials: "same-origin",
      });
    } catch (error) {
      notice(`Not saved: ${description}. The server could not be reached.`);
      return;
    }
    if (!response.ok) {
      const reason = response.status >= 500 ? `the server answered ${response.status}` : await response.text();
      notice(`Not saved: ${description}. ${reason.slice(0, 500)}`);
      return;
    }
    const trigger = JSON.parse(response.headers.get("HX-Trigger") || "{}");
    swapWorkspace(await response.text());
    onSaved(trigger);
  }

  // ---- operations ----------------------------------------------------------

  function createGold(labelId, start, end, text, recordUndo = true) {
    post(root.dataset.createUrl, { label: labelId, start, end, text }, "add gold span", (trigger) => {
      if (recordUndo) {
        undoStack.push({ kind: "create", id: String(trigger.goldCreated.id) });
      }
    });
  }

  function deleteGold(goldId, recordUndo = true) {
    post(urlFor(root.dataset.deleteUrl, goldId), {}, "reject gold span", (trigger) => {
      if (recordUndo) {
        undoStack.push({ kind: "delete", ...trigger.goldDeleted });
      }
    });
  }

  function relabelGold(goldId, labelId, recordUndo = true) {
    post(urlFor(root.dataset.relabelUrl, goldId), { label: labelId }, "relabel gold span", (trigger) => {
      const relabeled = trigger.goldRelabeled;
      if (recordUndo && relabeled.previous !== relabeled.label) {
        undoStack.push({ kind: "relabel", id: String(relabeled.id), previous: relabeled.previous });
      }
    });
  }

  function undo() {
    const entry = undoStack.pop();
    if (!entry) {
      return;
    }
    if (entry.kind === "create") {
      deleteGold(entry.id, false);
    } else if (entry.kind === "delete") {
      const text = textElement().textContent;
      const quoted = Array.from(text).slice(entry.start, entry.end).join("");
      createGold(entry.label, entry.start, entry.end, quoted, false);
    } else if (entry.kind === "relabel") {
      relabelGold(entry.id, entry.previous, false);
    }
  }

  // ---- selection of gold spans ---------------------------------------------

  function showSelectedGold() {
    for (const element of root.querySelectorAll(".selected[data-span]")) {
      element.classList.remove("selected");
    }
    if (!selectedGold) {
      return;
    }
    const elements = root.querySelectorAll(
      `#document-text [data-span="${selectedGold}"], #gold-list [data-span="${selectedGold}"]`,
    );
    if (!elements.length) {
      selectedGold = null;
      return;
    }
    elements.forEach((element) => element.classList.add("selected"));
  }

  function selectGold(goldId) {
    selectedGold = goldId;
    showSelectedGold();
  }

  function applyLabel(labelId) {
    const span = AnnotatorSelection.selectedSpan(textElement(), snapToggle.checked);
    if (span) {
      window.getSelection().removeAllRanges();
      createGold(labelId, span.start, span.end, span.text);
    } else if (selectedGold) {
      relabelGold(selectedGold, labelId);
    }
  }

  function resizeSelected() {
    const span = AnnotatorSelection.selectedSpan(textElement(), snapToggle.checked);
    if (!span || !selectedGold) {
      return;
    }
    window.getSelection().removeAllRanges();
    post(urlFor(root.dataset.resizeUrl, selectedGold), span, "move gold span");
  }

  // ---- events --------------------------------------------------------------

  AnnotatorSelection.rememberSnap(snapToggle);

  for (const button of root.querySelectorAll(".label-button")) {
    button.addEventListener("mousedown", (event) => event.preventDefault());
    button.addEventListener("click", () => applyLabel(button.dataset.label));
  }

  root.addEventListener("click", (event) => {
    const listed = event.target.closest("#gold-list .span-select");
    if (listed) {
      selectGold(listed.dataset.span);
      return;
    }
    const mark = event.target.closest("#document-text mark[data-span]");
    if (mark && !event.shiftKey && window.getSelection().isCollapsed) {
      selectGold(mark.dataset.span);
    }
  });

  // htmx submits the page's buttons; a refusal is shown, not swapped in.
  document.body.addEventListener("htmx:responseError", (event) => {
    notice(`Not saved. ${event.detail.xhr.responseText.slice(0, 500)}`);
  });

  AnnotatorSelection.listenToEditorKeys({
    undo,
    select: selectGold,
    selected: () => selectedGold,
    remove: deleteGold,
    labelByHotkey,
    applyLabel,
    keys: {
      a: () => {
        if (selectedGold) {
          post(urlFor(root.dataset.acceptUrl, selectedGold), {}, "accept gold span");
        }
      },
      A: () => post(root.dataset.acceptAllUrl, {}, "accept every proposal"),
      e: resizeSelected,
    },
  });
})();
