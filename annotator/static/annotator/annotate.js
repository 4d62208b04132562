// The annotate page: the annotator's own spans, painted and written by the
// engine (engine.js; its header describes the parts and where relations and
// machine suggestions plug in). Offsets here are UTF-16 units over the text;
// selection.js converts to and from the server's code points.
//
// Extension points (see engine.js): relations between spans (issue 14) live in
// SpanStore.relations and are drawn in Painter.overlay; machine suggestions
// (issue 16) are spans of layer "suggestion" painted with state "suggested",
// accepted by a create write and rejected by removal, each an UndoLog entry.
//
// Mouse: select text, press a label key or button. Keyboard: Tab to the text,
// arrows move a caret by character, Ctrl+arrows by word, Shift extends; a
// label key labels the selection; Enter selects the span at the caret (again
// for the one around it); [ and ] go to the previous / next span. With a span
// selected, Delete deletes it and a label key relabels it. Ctrl+Z undoes.
"use strict";

(() => {
  const root = document.getElementById("annotate");
  if (!root) {
    return;
  }
  const E = window.AnnotatorEngine;
  const S = window.AnnotatorSelection;
  const data = JSON.parse(document.getElementById("annotate-data").textContent);
  const textElement = document.getElementById("document-text");
  const view = new S.TextView(textElement.textContent, [{ element: textElement, start: 0 }]);
  const snapToggle = document.getElementById("snap-words");
  const labelByHotkey = new Map();
  const labelNames = new Map();
  for (const button of root.querySelectorAll(".label-button")) {
    labelByHotkey.set(button.dataset.hotkey, Number(button.dataset.label));
    labelNames.set(Number(button.dataset.label), button.dataset.name);
  }
  const store = new E.SpanStore();
  const painter = new E.Painter(view, textElement.parentElement, { labelNames });
  const notices = new E.Notices(document.getElementById("notices"));
  const queue = new E.WriteQueue({ csrfToken: E.csrfToken(), notices, status: root });
  const undoLog = new E.UndoLog();
  const announce = E.announcer();
  const counters = root.querySelectorAll("[data-span-count]");
  const readOnly = data.readOnly;
  let selected = null;
  let caret = null; // keyboard caret, UTF-16 offset, or null
  let anchor = null; // where a Shift-extended selection started

  const describe = (span) => `${labelNames.get(span.label)} ${E.quoted(view.quote(span.start, span.end))}`;

  const list = new AnnotatorSpanList.SpanList(document.getElementById("span-list"), {
    describe: (span) => ({
      label: labelNames.get(span.label),
      quote: view.quote(span.start, span.end),
      className: span.pending ? " pending" : "",
    }),
    removable: () => !readOnly,
    emptyText: "No spans yet. Select text and press a label key.",
    onChoose: (key, options) => choose(store.get(key), options),
    onDelete: (key) => deleteSpan(store.get(key)),
  });

  function counted() {
    counters.forEach((counter) => {
      counter.textContent = String(list.length);
    });
  }

  // ---- showing ---------------------------------------------------------------
  // The text is painted at once; the list follows right after that frame, in
  // the order of the changes, so a key press is on screen before the list of
  // thousands of rows is touched.

  const listChanges = [];
  function later(change) {
    listChanges.push(change);
    if (listChanges.length === 1) {
      requestAnimationFrame(() => setTimeout(() => {
        listChanges.splice(0).forEach((apply) => apply());
        counted();
      }, 0));
    }
  }

  function show(span) {
    painter.paint(span);
    later(() => list.insert(span));
  }

  function hide(span) {
    painter.erase(span);
    later(() => list.remove(span));
    if (selected === span) {
      choose(null);
    }
  }

  function restyle(span) {
    painter.paint(span);
    later(() => list.update(span));
  }

  function pending(span, change) {
    span.pendingWrites = (span.pendingWrites || 0) + change;
    span.pending = span.pendingWrites > 0;
    span.status = span.pending ? "pending" : "saved";
    if (store.has(span)) {
      painter.paint(span);
      later(() => {
        const row = list.rows.get(span.key);
        if (row) {
          row.classList.toggle("pending", span.pending);
        }
      });
    }
  }

  function choose(span, { scroll = false, fromList = false } = {}) {
    selected = span && store.has(span) ? span : null;
    painter.select(selected);
    list.mark(selected && selected.key);
    if (selected) {
      announce(`Selected ${describe(selected)}. Delete deletes it, a label key relabels it.`);
      if (scroll) {
        const rect = view.rectsFor(selected.start, selected.end)[0];
        if (rect && (rect.top < 80 || rect.bottom > window.innerHeight)) {
          const top = rect.top + window.scrollY - window.innerHeight / 3;
          window.scrollTo({ top, behavior: fromList ? "auto" : "smooth" });
        }
      }
    }
  }

  function noticeNear(span) {
    const rects = span ? view.rectsFor(span.start, span.end) : [];
    const rect = rects[rects.length - 1];
    notices.placeNear(rect || textElement.getBoundingClientRect());
  }

  function refuse(text, span = null) {
    noticeNear(span);
    const handle = notices.show(text, "refused", [{ label: "Dismiss", run: (notice) => notice.close() }], 12000);
    announce(text);
    return handle;
  }

  // ---- writes ----------------------------------------------------------------
  // A span's `incarnation` is one life of it on the server: a delete names the
  // incarnation it deletes, so undoing the delete (a new incarnation) can never
  // be confused with it, whatever order the answers arrive in.

  function createSpan(label, start, end, { record = true, revive = null } = {}) {
    const existing = store.find("own", label, start, end);
    if (existing && existing !== revive) {
      choose(existing);
      refuse(`Not saved. You already have ${labelNames.get(label)} ${E.quoted(view.quote(start, end))}: ` +
        "choose another label or other words.", existing);
      return null;
    }
    const span = revive || store.add({ layer: "own", label, start, end });
    if (revive) {
      store.spans.set(span.key, span);
    }
    const incarnation = { id: null, refused: false };
    span.incarnation = incarnation;
    span.id = null;
    pending(span, 1);
    show(span);
    const [pointStart, pointEnd] = view.toCodePoints(start, end);
    const quote = view.quote(start, end);
    const clientId = E.newClientId();
    queue.push({
      describe: () => describe(span),
      request: () => ({
        url: root.dataset.createUrl,
        values: { label, start: pointStart, end: pointEnd, text: quote, client_id: clientId },
      }),
      applied: (answer) => {
        incarnation.id = answer.span.id;
        if (span.incarnation === incarnation) {
          span.id = answer.span.id;
          const [savedStart, savedEnd] = view.toUtf16(answer.span.start, answer.span.end);
          if (savedStart !== span.start || savedEnd !== span.end) {
            span.start = savedStart;
            span.end = savedEnd;
            restyle(span);
          }
          pending(span, -1);
        }
      },
      refused: (message) => {
        incarnation.refused = true;
        if (span.incarnation === incarnation) {
          pending(span, -1);
          if (store.has(span)) {
            store.remove(span);
            hide(span);
          }
        }
        if (message) {
          refuse(`Not saved: ${describe(span)}. ${message}`);
        }
      },
    });
    if (record) {
      undoLog.push({ valid: () => !incarnation.refused, undo: () => deleteSpan(span, { record: false }) });
    }
    return span;
  }

  function deleteSpan(span, { record = true } = {}) {
    if (!span || !store.has(span)) {
      return false;
    }
    if (readOnly) {
      refuse(readOnlyText, span);
      return true;
    }
    const incarnation = span.incarnation;
    noticeNear(span);
    store.remove(span);
    hide(span);
    queue.push({
      describe: () => `the deletion of ${describe(span)}`,
      request: () => (incarnation.refused || incarnation.id === null ? null : {
        url: E.urlFor(root.dataset.deleteUrl, incarnation.id), values: {},
      }),
      applied: () => {},
      refused: (message) => {
        // The server kept the span: show it again, unless it lives again already.
        if (!store.has(span) && span.incarnation === incarnation) {
          store.spans.set(span.key, span);
          show(span);
        }
        if (message) {
          refuse(`Not deleted: ${describe(span)}. ${message}`, span);
        }
      },
    });
    if (record) {
      undoLog.push({
        valid: () => !store.has(span),
        undo: () => createSpan(span.label, span.start, span.end, { record: false, revive: span }),
      });
    }
    return true;
  }

  function relabelSpan(span, label, { record = true } = {}) {
    const previous = span.label;
    if (previous === label || !store.has(span)) {
      return;
    }
    const clash = store.find("own", label, span.start, span.end);
    if (clash) {
      refuse(`Not relabelled. You already have ${labelNames.get(label)} ` +
        `${E.quoted(view.quote(span.start, span.end))}.`, span);
      return;
    }
    const incarnation = span.incarnation;
    span.label = label;
    restyle(span);
    pending(span, 1);
    queue.push({
      describe: () => `${describe(span)} (was ${labelNames.get(previous)})`,
      request: () => (incarnation.refused || incarnation.id === null ? null : {
        url: E.urlFor(root.dataset.relabelUrl, incarnation.id), values: { label },
      }),
      applied: () => pending(span, -1),
      refused: (message) => {
        pending(span, -1);
        if (store.has(span) && span.label === label) {
          span.label = previous;
          restyle(span);
        }
        if (message) {
          refuse(`Not relabelled: ${describe(span)}. ${message}`, span);
        }
      },
    });
    if (record) {
      undoLog.push({
        valid: () => store.has(span) && span.label === label,
        undo: () => relabelSpan(span, previous, { record: false }),
      });
    }
  }

  function undo() {
    const entry = undoLog.pop();
    if (entry) {
      entry.undo();
    } else {
      announce("Nothing to undo.");
    }
  }

  // ---- labelling ---------------------------------------------------------------

  const readOnlyText = "This document is read-only: you have handed it in. " +
    "Undo the submission (for a short while) or ask a curator to reopen it.";

  function applyLabel(label) {
    if (readOnly) {
      refuse(readOnlyText);
      return;
    }
    const range = view.selected(snapToggle.checked);
    if (range) {
      window.getSelection().removeAllRanges();
      anchor = null;
      if (caret !== null) {
        caret = range.end;
        painter.setCaret(caret);
      }
      const span = createSpan(label, range.start, range.end);
      if (span) {
        announce(`Added ${describe(span)}.`);
      }
    } else if (selected) {
      relabelSpan(selected, label);
      announce(`Relabelled as ${labelNames.get(label)}.`);
    } else {
      refuse(`Select some text first, then press ${labelNames.get(label)}'s key. ` +
        "With the keyboard: Tab to the text, Shift+arrows select.");
    }
  }

  // ---- keyboard caret over the text --------------------------------------------

  function firstVisibleOffset() {
    const rect = textElement.getBoundingClientRect();
    const offset = view.offsetAtPoint(rect.left + 2, Math.max(rect.top, 0) + 12);
    return offset === null ? 0 : offset;
  }

  function caretFromSelection() {
    const selection = window.getSelection();
    if (selection.rangeCount && view.contains(selection.focusNode)) {
      const focus = view.offsetOf(selection.focusNode, selection.focusOffset);
      const start = view.offsetOf(selection.anchorNode, selection.anchorOffset);
      if (focus !== null) {
        caret = focus;
        anchor = start !== null && start !== focus ? start : null;
        return;
      }
    }
    caret = firstVisibleOffset();
    anchor = null;
  }

  function showCaret() {
    if (anchor !== null && anchor !== caret) {
      view.select(anchor, caret);
      const [start, end] = anchor < caret ? [anchor, caret] : [caret, anchor];
      announce(`Selected ${E.quoted(view.quote(start, end), 80)}`);
    } else {
      window.getSelection().removeAllRanges();
      const around = store.covering("own", caret);
      const next = view.text.slice(caret, caret + 40).split(/\s/)[0];
      announce(around.length ? `In ${around.map(describe).join(", in ")}` : `Before ${E.quoted(next || "end", 40)}`);
    }
    painter.setCaret(caret);
    const rect = view.caretRect(caret);
    if (rect && (rect.top < 80 || rect.top + rect.height > window.innerHeight - 20)) {
      window.scrollBy({ top: rect.top - window.innerHeight / 2 });
    }
  }

  textElement.addEventListener("keydown", (event) => {
    const arrows = { ArrowLeft: -1, ArrowRight: 1 };
    if (event.key in arrows && !event.metaKey) {
      event.preventDefault();
      if (caret === null) {
        caretFromSelection();
      }
      if (event.shiftKey) {
        anchor = anchor === null ? caret : anchor;
      } else {
        anchor = null;
      }
      caret = S.step(view.text, caret, arrows[event.key], event.ctrlKey || event.altKey);
      showCaret();
    } else if (event.key === "Enter" && caret !== null) {
      event.preventDefault();
      const around = store.covering("own", caret);
      if (around.length) {
        const index = around.indexOf(selected);
        choose(around[(index + 1) % around.length]);
      }
    }
  });

  textElement.addEventListener("focus", () => {
    if (textElement.matches(":focus-visible") && caret === null) {
      caretFromSelection();
      showCaret();
    }
  });
  textElement.addEventListener("blur", () => painter.setCaret(null));
  textElement.addEventListener("pointerdown", () => {
    caret = null;
    anchor = null;
    painter.setCaret(null);
  });

  // ---- pointer -----------------------------------------------------------------

  textElement.addEventListener("click", (event) => {
    if (event.shiftKey || !window.getSelection().isCollapsed) {
      return;
    }
    const offset = view.offsetAtPoint(event.clientX, event.clientY);
    const around = offset === null ? [] : store.covering("own", offset);
    if (!around.length) {
      choose(null);
      return;
    }
    // Clicking again on nested spans walks outwards.
    const index = around.indexOf(selected);
    choose(around[(index + 1) % around.length]);
  });

  let hoverFrame = 0;
  textElement.addEventListener("pointermove", (event) => {
    cancelAnimationFrame(hoverFrame);
    hoverFrame = requestAnimationFrame(() => {
      const offset = view.offsetAtPoint(event.clientX, event.clientY);
      const around = offset === null ? [] : store.covering("own", offset).reverse();
      painter.hover(around, { left: event.clientX + 12, top: event.clientY + 16 });
    });
  });
  textElement.addEventListener("pointerleave", () => painter.hover([], null));

  for (const button of root.querySelectorAll(".label-button")) {
    // Keep the text selection: pressing a button would otherwise move focus first.
    button.addEventListener("mousedown", (event) => event.preventDefault());
    button.addEventListener("click", () => applyLabel(Number(button.dataset.label)));
  }

  // ---- panel, submit, leaving ----------------------------------------------------

  const panel = document.getElementById("span-panel");
  const toggle = document.getElementById("panel-toggle");
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    panel.classList.toggle("open", open);
    if (open) {
      const focused = panel.querySelector('.span-select[tabindex="0"]');
      (focused || panel).focus({ preventScroll: true });
    }
  });

  // Status forms post as plain forms, after every span write has landed.
  for (const form of root.querySelectorAll("form.after-writes")) {
    form.addEventListener("submit", (event) => {
      if (!queue.size) {
        return;
      }
      event.preventDefault();
      const submitter = event.submitter;
      notices.placeNear(form.getBoundingClientRect());
      const notice = notices.show("Saving your last changes first…", "saving");
      queue.whenIdle().then(() => {
        notice.close();
        form.requestSubmit(submitter);
      });
    });
  }

  function leave(url) {
    if (!url) {
      return;
    }
    if (queue.size) {
      notices.show("Saving your last changes before leaving…", "saving");
    }
    queue.whenIdle().then(() => window.location.assign(url));
  }

  window.addEventListener("beforeunload", (event) => {
    if (queue.size) {
      event.preventDefault();
    }
  });

  function neighbour(direction) {
    const ordered = list.order;
    if (!ordered.length) {
      return;
    }
    const from = selected ? selected.start : caret !== null ? caret : -1;
    const index = direction > 0
      ? ordered.findIndex((span) => span.start > from || (selected && span.start === from && E.compareSpans(span, selected) > 0))
      : ordered.findLastIndex((span) => span.start < from || (selected && span.start === from && E.compareSpans(span, selected) < 0));
    const span = ordered[index === -1 ? (direction > 0 ? 0 : ordered.length - 1) : index];
    choose(span, { scroll: true });
  }

  S.rememberSnap(snapToggle);
  S.listenToEditorKeys({
    undo,
    escape: () => {
      window.getSelection().removeAllRanges();
      anchor = null;
      choose(null);
    },
    remove: () => (selected ? deleteSpan(selected) : false),
    labelByHotkey,
    applyLabel,
    keys: {
      n: () => leave(root.dataset.nextUrl),
      p: () => leave(root.dataset.previousUrl),
      "]": () => neighbour(1),
      "[": () => neighbour(-1),
    },
  });

  // ---- start -----------------------------------------------------------------------

  painter.followViewport();
  for (const [id, label, start, end] of data.spans) {
    const [start16, end16] = view.toUtf16(start, end);
    const span = store.add({ id, layer: "own", label, start: start16, end: end16 });
    span.incarnation = { id, refused: false };
    painter.paint(span);
  }
  list.render(store.ordered("own"));
  counted();
  root.dataset.ready = "true";
})();
