// The annotate page: the annotator's own spans, painted and written by the
// engine (engine.js; its header describes the parts and where relations and
// machine suggestions plug in). Offsets here are UTF-16 units over the text;
// selection.js converts to and from the server's code points.
//
// Relations and attributes (issue 14) come with the page data. With a span
// selected, a relation type's key (c claimant, d addressee by default) starts
// picking its target: Tab / Shift+Tab or the arrows walk the spans the type
// allows there, nearest first; Enter or a click links, Esc cancels. The
// Relations list in the panel has a row per relation (hover or focus outlines
// both ends, as does selecting a span; Delete removes it). The selected span's
// attributes are radio groups in the panel; Alt+1, Alt+2… set their values in
// the order shown (again to clear). Each write is optimistic, queued and
// undoable like a span's; a deleted span takes its relations along on the page
// (the server cascades), and undoing the deletion makes them again.
//
// Suggestions (issue 16) are spans of layer "suggestion" with a `source`,
// loaded once the page is up (web/suggestions.py computes string matches on the
// way) and painted apart from the annotator's own (engine.js). Each decision is
// an optimistic change, a WriteQueue write and an UndoLog entry: accepting
// shows the new own span at once (pending until the server answers, retried
// with the same client_id), rejecting hides the suggestion; undo of either
// brings the suggestion back, and a refusal undoes the change.
//
// Mouse: select text, press a label key or button. Keyboard: Tab to the text,
// arrows move a caret by character, Ctrl+arrows by word, Shift extends; a
// label key labels the selection; Enter selects the span at the caret (again
// for the one around it); [ and ] go to the previous / next span. With a span
// selected, Delete deletes it and a label key relabels it. Ctrl+Z undoes.
// s / S select the next / previous suggestion (a click selects one too); with
// one selected, Enter accepts it, a label key accepts it with that label, x (or
// Delete) rejects it, Shift+A accepts every suggestion of its label.
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
  // The list follows the text once the handler that changed it is done, in the
  // order of the changes, before the frame that paints them. So one frame
  // carries a create: Chromium rebuilds every registered highlight range on any
  // frame in which the DOM changed, and a list updated in a later frame cost a
  // second such frame before the key press was settled on screen.

  const listChanges = [];
  function later(change) {
    listChanges.push(change);
    if (listChanges.length === 1) {
      queueMicrotask(() => {
        listChanges.splice(0).forEach((apply) => apply());
        counted();
      });
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

  // `repaint`: false for a span about to be shown, which paints it once.
  function pending(span, change, { repaint = true } = {}) {
    span.pendingWrites = (span.pendingWrites || 0) + change;
    span.pending = span.pendingWrites > 0;
    span.status = span.pending ? "pending" : "saved";
    if (repaint && store.has(span)) {
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
    list.mark(selected && selected.layer === "own" ? selected.key : null);
    showLinks();
    renderAttributes();
    if (selected) {
      announce(selected.layer === "suggestion"
        ? `Selected suggestion ${describeSuggestion(selected)}. ` +
          "Enter accepts it, a label key accepts it with that label, x rejects it."
        : `Selected ${describe(selected)}. Delete deletes it, a label key relabels it` +
          `${relationTypes.length ? ", a relation key starts a relation from it" : ""}.`);
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
    pending(span, 1, { repaint: false });
    show(span);
    // A suggestion of these very words and label is what the annotator just marked:
    // the server stops offering it (pending_suggestions), so it goes now, and comes
    // back if the span does not stay.
    const twin = store.find("suggestion", label, start, end);
    if (twin) {
      hideSuggestion(twin);
      span.twin = twin;
    }
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
            offerTwinAgain(span);
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

  function offerTwinAgain(span) {
    if (span.twin && !store.has(span.twin)) {
      showSuggestion(span.twin);
    }
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
    // The server deletes the span's relations and values with it.
    const relations = relationsOf(span);
    relations.forEach(dropRelation);
    store.remove(span);
    hide(span);
    offerTwinAgain(span);
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
          if (span.twin && store.has(span.twin)) {
            hideSuggestion(span.twin);
          }
        }
        if (message) {
          refuse(`Not deleted: ${describe(span)}. ${message}`, span);
        }
      },
    });
    if (record) {
      undoLog.push({
        valid: () => !store.has(span),
        undo: () => {
          if (!createSpan(span.label, span.start, span.end, { record: false, revive: span })) {
            return;
          }
          for (const relation of relations) {
            if (store.has(relation.source) && store.has(relation.target)) {
              createRelation(relation.type, relation.source, relation.target, { record: false, revive: relation });
            }
          }
          const values = Array.from(span.attrs);
          span.attrs = new Map();
          values.forEach(([id, value]) => setAttribute(span, attributeById.get(id), value, { record: false }));
        },
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
    const previousValues = span.attrs;
    span.attrs = relabelAttributes(span, label);
    span.label = label;
    restyle(span);
    renderAttributes();
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
          span.attrs = previousValues;
          restyle(span);
          renderAttributes();
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

  // ---- suggestions -------------------------------------------------------------
  // A suggestion is in the store while it is pending on the page; a decision
  // takes it out at once and its undo puts the same object back.

  const suggestionBox = document.getElementById("suggestions");
  const suggestionCounters = root.querySelectorAll("[data-suggestion-count]");

  const describeSuggestion = (suggestion) =>
    `${describe(suggestion)}, suggested by ${E.sourceName(suggestion.source)}`;

  function coveringAll(offset) {
    return store.covering("own", offset).concat(store.covering("suggestion", offset));
  }

  // One "accept all" button per label that has pending suggestions.
  function suggestionTools() {
    const pendingOnes = store.ordered("suggestion");
    suggestionCounters.forEach((counter) => {
      counter.textContent = String(pendingOnes.length);
    });
    root.dataset.suggestionCount = String(pendingOnes.length);
    const counts = new Map();
    for (const suggestion of pendingOnes) {
      counts.set(suggestion.label, (counts.get(suggestion.label) || 0) + 1);
    }
    const buttons = suggestionBox.querySelector(".accept-all");
    const hadFocus = suggestionBox.contains(document.activeElement);
    buttons.replaceChildren(...Array.from(counts, ([label, count]) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = `accept-all-button label-${label}`;
      button.dataset.label = String(label);
      button.textContent = `Accept all ${labelNames.get(label)} (${count})`;
      button.disabled = readOnly;
      button.addEventListener("click", () => acceptAll(label));
      item.append(button);
      return item;
    }));
    suggestionBox.hidden = pendingOnes.length === 0;
    if (hadFocus && !suggestionBox.contains(document.activeElement)) {
      (buttons.querySelector("button") || textElement).focus({ preventScroll: true });
    }
  }

  function showSuggestion(suggestion) {
    if (!store.has(suggestion)) {
      store.spans.set(suggestion.key, suggestion);
    }
    painter.paint(suggestion);
    suggestionTools();
  }

  function hideSuggestion(suggestion) {
    store.remove(suggestion);
    painter.erase(suggestion);
    if (selected === suggestion) {
      choose(null);
    }
    suggestionTools();
  }

  function nextSuggestion(direction) {
    const ordered = store.ordered("suggestion");
    if (!ordered.length) {
      announce("No suggestions left.");
      return;
    }
    neighbour(direction, ordered);
  }

  // The suggestion to select once `suggestion` is decided: the next in reading
  // order, or the last one before it; so each decision takes one key.
  function followerOf(suggestion) {
    const ordered = store.ordered("suggestion").filter((other) => other !== suggestion);
    return ordered.find((other) => E.compareSpans(other, suggestion) > 0) || ordered[ordered.length - 1] || null;
  }

  function decided(follower) {
    if (follower && store.has(follower)) {
      choose(follower, { scroll: true });
    }
  }

  // A new own span for an accepted suggestion, shown at once and pending.
  function acceptedSpan(suggestion, label) {
    const span = store.add({ layer: "own", label, start: suggestion.start, end: suggestion.end });
    span.incarnation = { id: null, refused: false };
    pending(span, 1, { repaint: false });
    show(span);
    return span;
  }

  function settle(span, incarnation, answer) {
    incarnation.id = answer.id;
    if (span.incarnation === incarnation) {
      span.id = answer.id;
      pending(span, -1);
    }
  }

  function unsettle(span, incarnation) {
    incarnation.refused = true;
    if (span.incarnation === incarnation) {
      pending(span, -1);
      if (store.has(span)) {
        store.remove(span);
        hide(span);
      }
    }
  }

  function acceptSuggestion(suggestion, label = suggestion.label) {
    if (readOnly) {
      refuse(readOnlyText, suggestion);
      return;
    }
    if (!store.has(suggestion)) {
      return;
    }
    const existing = store.find("own", label, suggestion.start, suggestion.end);
    if (existing) {
      refuse(`Not accepted. You already have ${describe(existing)}: reject the suggestion (x) ` +
        "or accept it with another label.", suggestion);
      return;
    }
    noticeNear(suggestion);
    const follower = followerOf(suggestion);
    hideSuggestion(suggestion);
    const span = acceptedSpan(suggestion, label);
    const incarnation = span.incarnation;
    const clientId = E.newClientId();
    const values = { client_id: clientId };
    if (label !== suggestion.label) {
      values.label = label;
    }
    queue.push({
      describe: () => `${describe(span)} (accepted)`,
      request: () => ({ url: E.urlFor(root.dataset.suggestionAcceptUrl, suggestion.id), values }),
      applied: (answer) => settle(span, incarnation, answer.span),
      refused: (message) => {
        unsettle(span, incarnation);
        if (!store.has(suggestion)) {
          showSuggestion(suggestion);
        }
        if (message) {
          refuse(`Not accepted: ${describeSuggestion(suggestion)}. ${message}`, suggestion);
        }
      },
    });
    undoLog.push({
      valid: () => !incarnation.refused && store.has(span) && span.incarnation === incarnation,
      undo: () => undoAcceptance([{ suggestion, span, incarnation }]),
    });
    announce(`Accepted ${describe(span)}.`);
    decided(follower);
  }

  // Undo of accepting (one suggestion or all of a label): the spans go, the
  // suggestions come back, and the server takes each decision back.
  function undoAcceptance(items) {
    for (const { suggestion, span, incarnation } of items) {
      if (span && span.incarnation === incarnation && store.has(span)) {
        store.remove(span);
        hide(span);
      }
      showSuggestion(suggestion);
      queue.push({
        describe: () => `undoing the acceptance of ${describeSuggestion(suggestion)}`,
        request: () => (incarnation.refused ? null : {
          url: E.urlFor(root.dataset.suggestionUndoUrl, suggestion.id), values: {},
        }),
        applied: () => {},
        refused: (message) => {
          // The server kept the acceptance: the span stays, the suggestion goes.
          if (span && !store.has(span) && span.incarnation === incarnation) {
            store.spans.set(span.key, span);
            show(span);
          }
          if (store.has(suggestion)) {
            hideSuggestion(suggestion);
          }
          if (message) {
            refuse(`Not undone: ${describeSuggestion(suggestion)}. ${message}`, span);
          }
        },
      });
    }
    announce(items.length === 1 ? `Suggestion ${describeSuggestion(items[0].suggestion)} is back.`
      : `${items.length} suggestions are back.`);
    if (items.length) {
      choose(items[0].suggestion);
    }
  }

  function rejectSuggestion(suggestion) {
    if (readOnly) {
      refuse(readOnlyText, suggestion);
      return true;
    }
    if (!store.has(suggestion)) {
      return true;
    }
    noticeNear(suggestion);
    const follower = followerOf(suggestion);
    hideSuggestion(suggestion);
    const rejection = { refused: false };
    queue.push({
      describe: () => `the rejection of ${describeSuggestion(suggestion)}`,
      request: () => ({ url: E.urlFor(root.dataset.suggestionRejectUrl, suggestion.id), values: {} }),
      applied: () => {},
      refused: (message) => {
        rejection.refused = true;
        if (!store.has(suggestion)) {
          showSuggestion(suggestion);
        }
        if (message) {
          refuse(`Not rejected: ${describeSuggestion(suggestion)}. ${message}`, suggestion);
        }
      },
    });
    undoLog.push({
      valid: () => !rejection.refused && !store.has(suggestion),
      undo: () => {
        showSuggestion(suggestion);
        choose(suggestion);
        announce(`Suggestion ${describeSuggestion(suggestion)} is back.`);
        queue.push({
          describe: () => `undoing the rejection of ${describeSuggestion(suggestion)}`,
          request: () => (rejection.refused ? null : {
            url: E.urlFor(root.dataset.suggestionUndoUrl, suggestion.id), values: {},
          }),
          applied: () => {},
          refused: (message) => {
            if (store.has(suggestion)) {
              hideSuggestion(suggestion);
            }
            if (message) {
              refuse(`Not undone: ${describeSuggestion(suggestion)}. ${message}`);
            }
          },
        });
      },
    });
    announce(`Rejected ${describeSuggestion(suggestion)}.`);
    decided(follower);
    return true;
  }

  // Every pending suggestion of a label, in one write; suggestions of several
  // sources on one range make one span, as on the server.
  function acceptAll(label) {
    if (readOnly) {
      refuse(readOnlyText);
      return true;
    }
    const chosen = store.ordered("suggestion").filter((suggestion) => suggestion.label === label);
    if (!chosen.length) {
      announce(`No ${labelNames.get(label)} suggestions left.`);
      return true;
    }
    const spanOfRange = new Map();
    const items = [];
    for (const suggestion of chosen) {
      hideSuggestion(suggestion);
      const range = `${suggestion.start}:${suggestion.end}`;
      let span = spanOfRange.get(range);
      if (!span && !store.find("own", label, suggestion.start, suggestion.end)) {
        span = acceptedSpan(suggestion, label);
        spanOfRange.set(range, span);
      }
      items.push({ suggestion, span: span || null, incarnation: span ? span.incarnation : { id: null, refused: false } });
    }
    queue.push({
      describe: () => `every ${labelNames.get(label)} suggestion (${chosen.length})`,
      request: () => ({ url: root.dataset.suggestionsAcceptAllUrl, values: { label } }),
      applied: (answer) => {
        const spanOf = new Map(answer.accepted.map((row) => [row.suggestion, row.span]));
        for (const item of items) {
          const saved = spanOf.get(item.suggestion.id);
          if (!item.span || item.incarnation.id !== null) {
            continue;
          }
          if (saved) {
            settle(item.span, item.incarnation, saved);
          } else if (!items.some((other) => other.span === item.span && spanOf.has(other.suggestion.id))) {
            // Not accepted after all (decided meanwhile elsewhere): show it again.
            unsettle(item.span, item.incarnation);
            showSuggestion(item.suggestion);
          }
        }
      },
      refused: (message) => {
        for (const item of items) {
          if (item.span) {
            unsettle(item.span, item.incarnation);
          }
          item.incarnation.refused = true;
          if (!store.has(item.suggestion)) {
            showSuggestion(item.suggestion);
          }
        }
        if (message) {
          refuse(`Not accepted: every ${labelNames.get(label)} suggestion. ${message}`);
        }
      },
    });
    undoLog.push({
      valid: () => items.some(({ span, incarnation }) => span && !incarnation.refused &&
        store.has(span) && span.incarnation === incarnation),
      undo: () => undoAcceptance(items),
    });
    announce(`Accepted ${chosen.length} ${labelNames.get(label)} suggestions.`);
    return true;
  }

  // Loaded after the page is up, so they never hold up the text. A POST: the
  // server stores the string matches it computes (web/suggestions.py).
  async function loadSuggestions() {
    if (readOnly || !root.dataset.suggestionsUrl) {
      root.dataset.suggestions = "none";
      return;
    }
    try {
      const response = await fetch(root.dataset.suggestionsUrl, {
        method: "POST",
        headers: { Accept: "application/json", "X-CSRFToken": E.csrfToken() },
        credentials: "same-origin",
      });
      if (!response.ok) {
        throw new Error(`The server answered ${response.status}`);
      }
      const answer = await response.json();
      // One pass over the own spans, not one search per suggestion: at 1,000
      // spans there are thousands of suggestions, and the search made this the
      // page's longest task after loading.
      const own = new Set(store.ordered("own").map((span) => `${span.label} ${span.start} ${span.end}`));
      for (const { id, label, start, end, source } of answer.suggestions) {
        const [start16, end16] = view.toUtf16(start, end);
        // A suggestion the page already has as its own span is nothing to decide.
        if (!own.has(`${label} ${start16} ${end16}`)) {
          painter.paint(store.add({ id, layer: "suggestion", label, start: start16, end: end16, source }));
        }
      }
      suggestionTools();
      root.dataset.suggestions = "ready";
    } catch (error) {
      root.dataset.suggestions = "failed";
      announce("Suggestions could not be loaded.");
    }
  }

  // ---- relations and attributes ---------------------------------------------------
  // A relation links two of the annotator's spans; on the page it holds the span
  // objects, so it follows them through their incarnations, and its writes name
  // the incarnations they were made for: a relation to a span whose creation was
  // refused is dropped, never sent. Picking a target is a mode: the candidates
  // are the spans the type allows at its target, nearest first.

  const relationTypes = data.relationTypes;
  const typeById = new Map(relationTypes.map((type) => [type.id, type]));
  const attributesOf = new Map(); // label id -> [attribute]
  for (const attribute of data.attributes) {
    if (!attributesOf.has(attribute.label)) {
      attributesOf.set(attribute.label, []);
    }
    attributesOf.get(attribute.label).push(attribute);
  }
  const attributeById = new Map(data.attributes.map((attribute) => [attribute.id, attribute]));
  const relationList = document.getElementById("relation-list");
  const relationCounters = root.querySelectorAll("[data-relation-count]");
  const attributeBox = document.getElementById("attributes");
  let nextRelationKey = 1;
  let picking = null; // {type, source, candidates, index}
  let shownRelation = null; // the relation whose row is hovered or focused
  let hoveredRelations = []; // those of the spans under the pointer

  const names = (labels) => {
    const words = labels.map((label) => labelNames.get(label));
    return words.length > 1 ? `${words.slice(0, -1).join(", ")} or ${words[words.length - 1]}` : words[0];
  };
  const article = (word) => (/^[aeiou]/i.test(word) ? `an ${word}` : `a ${word}`);
  const spanWords = (span) => `the ${labelNames.get(span.label)} span ${E.quoted(view.quote(span.start, span.end))}`;
  const describeRelation = (relation) =>
    `${relation.type.name}: ${E.quoted(view.quote(relation.source.start, relation.source.end))} → ` +
    `${E.quoted(view.quote(relation.target.start, relation.target.end))}`;

  function relationsOf(span) {
    return Array.from(store.relations.values()).filter((relation) => relation.source === span || relation.target === span);
  }

  function sameRelation(type, source, target) {
    for (const relation of store.relations.values()) {
      if (relation.type === type && ((relation.source === source && relation.target === target) ||
          (!type.directed && relation.source === target && relation.target === source))) {
        return relation;
      }
    }
    return null;
  }

  // Outline the relations of the hovered row, else those of the selected span.
  function showLinks() {
    const relations = shownRelation ? [shownRelation]
      : hoveredRelations.length ? hoveredRelations
        : selected && selected.layer === "own" ? relationsOf(selected) : [];
    const candidate = picking ? picking.candidates[picking.index] : null;
    painter.showLinks(
      relations.map((relation) => ({ source: relation.source, target: relation.target, name: relation.type.name })),
      candidate ? {
        span: candidate,
        text: `${picking.type.name} target ${picking.index + 1} of ${picking.candidates.length}: Enter links, Tab next`,
      } : null,
    );
    for (const row of relationList.children) {
      row.classList.toggle("shown", relations.some((relation) => relation.key === row.dataset.key));
    }
  }

  // Pointing at a span shows its relations; redrawn only when they change.
  function hoverSpans(spans) {
    const relations = store.relations.size ? [...new Set(spans.flatMap(relationsOf))] : [];
    if (relations.length !== hoveredRelations.length || relations.some((relation, index) => relation !== hoveredRelations[index])) {
      hoveredRelations = relations;
      showLinks();
    }
  }

  function renderRelations() {
    const ordered = Array.from(store.relations.values()).sort((a, b) =>
      E.compareSpans(a.source, b.source) || E.compareSpans(a.target, b.target) || a.type.key.localeCompare(b.type.key));
    const focusedKey = relationList.contains(document.activeElement)
      ? document.activeElement.closest("[data-key]").dataset.key : null;
    const focusedIndex = focusedKey ? Array.from(relationList.children).findIndex((row) => row.dataset.key === focusedKey) : -1;
    relationList.replaceChildren(...ordered.map((relation, index) => {
      const item = document.createElement("li");
      item.className = `relation-item${relation.pending ? " pending" : ""}`;
      item.dataset.key = relation.key;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "relation-select";
      button.tabIndex = index === 0 ? 0 : -1;
      button.textContent = describeRelation(relation);
      item.append(button);
      if (!readOnly) {
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "delete";
        remove.tabIndex = -1;
        remove.textContent = "×";
        remove.setAttribute("aria-label", `Delete ${describeRelation(relation)}`);
        item.append(remove);
      }
      return item;
    }));
    if (!ordered.length) {
      const item = document.createElement("li");
      item.className = "muted";
      item.textContent = "No relations yet. Select a span and press a relation key.";
      relationList.append(item);
    }
    relationCounters.forEach((counter) => {
      counter.textContent = String(ordered.length);
    });
    root.dataset.relationCount = String(ordered.length);
    if (shownRelation && !store.relations.has(shownRelation.key)) {
      shownRelation = null;
    }
    hoveredRelations = hoveredRelations.filter((relation) => store.relations.get(relation.key) === relation);
    if (focusedKey !== null) {
      const rows = relationList.querySelectorAll(".relation-select");
      const row = Array.from(rows).find((button) => button.parentElement.dataset.key === focusedKey) ||
        rows[Math.min(focusedIndex, rows.length - 1)];
      (row || textElement).focus({ preventScroll: true });
    }
    showLinks();
  }

  function relationOfRow(element) {
    const row = element.closest("[data-key]");
    return row ? store.relations.get(row.dataset.key) : null;
  }

  function focusRow(button) {
    relationList.querySelectorAll(".relation-select").forEach((other) => {
      other.tabIndex = other === button ? 0 : -1;
    });
    button.focus();
  }

  relationList.addEventListener("click", (event) => {
    const relation = relationOfRow(event.target);
    if (!relation) {
      return;
    }
    if (event.target.closest(".delete")) {
      deleteRelation(relation);
    } else {
      choose(relation.source, { scroll: true });
    }
  });
  relationList.addEventListener("keydown", (event) => {
    const relation = relationOfRow(event.target);
    if (!relation || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    const rows = Array.from(relationList.querySelectorAll(".relation-select"));
    const index = rows.indexOf(event.target.closest(".relation-item").querySelector(".relation-select"));
    const moves = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: rows.length - 1 };
    if (event.key in moves) {
      event.preventDefault();
      focusRow(rows[Math.max(0, Math.min(rows.length - 1, moves[event.key]))]);
    } else if (event.key === "Delete" || event.key === "Backspace") {
      event.preventDefault();
      deleteRelation(relation);
    }
  });
  const showRow = (event) => {
    shownRelation = relationOfRow(event.target) || null;
    showLinks();
  };
  const unshowRow = () => {
    shownRelation = null;
    showLinks();
  };
  relationList.addEventListener("pointerover", showRow);
  relationList.addEventListener("pointerleave", unshowRow);
  relationList.addEventListener("focusin", showRow);
  relationList.addEventListener("focusout", unshowRow);

  function dropRelation(relation) {
    if (store.relations.get(relation.key) === relation) {
      store.relations.delete(relation.key);
      renderRelations();
    }
  }

  function createRelation(type, source, target, { record = true, revive = null } = {}) {
    const relation = revive || {
      key: `r${nextRelationKey++}`, id: null, type, source, target, from: source.key, to: target.key,
    };
    const incarnation = { id: null, refused: false };
    const sourceLife = source.incarnation;
    const targetLife = target.incarnation;
    relation.incarnation = incarnation;
    relation.id = null;
    relation.pending = true;
    store.relations.set(relation.key, relation);
    renderRelations();
    const clientId = E.newClientId();
    const mine = () => relation.incarnation === incarnation;
    queue.push({
      describe: () => describeRelation(relation),
      request: () => {
        if (sourceLife.refused || targetLife.refused || sourceLife.id === null || targetLife.id === null) {
          // An end was never saved: nothing to link.
          incarnation.refused = true;
          if (mine()) {
            dropRelation(relation);
          }
          return null;
        }
        return {
          url: root.dataset.relationCreateUrl,
          values: { type: type.id, source: sourceLife.id, target: targetLife.id, client_id: clientId },
        };
      },
      applied: (answer) => {
        incarnation.id = answer.relation.id;
        if (mine()) {
          relation.id = answer.relation.id;
          relation.pending = false;
          renderRelations();
        }
      },
      refused: (message) => {
        incarnation.refused = true;
        if (mine()) {
          dropRelation(relation);
        }
        if (message) {
          refuse(`Not linked: ${describeRelation(relation)}. ${message}`, target);
        }
      },
    });
    if (record) {
      undoLog.push({
        valid: () => !incarnation.refused && mine() && store.relations.get(relation.key) === relation,
        undo: () => deleteRelation(relation, { record: false }),
      });
    }
    announce(`Linked ${describeRelation(relation)}.`);
    return relation;
  }

  function deleteRelation(relation, { record = true } = {}) {
    if (readOnly) {
      refuse(readOnlyText);
      return;
    }
    if (store.relations.get(relation.key) !== relation) {
      return;
    }
    const incarnation = relation.incarnation;
    dropRelation(relation);
    queue.push({
      describe: () => `the deletion of ${describeRelation(relation)}`,
      request: () => (incarnation.refused || incarnation.id === null ? null : {
        url: E.urlFor(root.dataset.relationDeleteUrl, incarnation.id), values: {},
      }),
      applied: () => {},
      refused: (message) => {
        if (!store.relations.has(relation.key) && relation.incarnation === incarnation &&
            store.has(relation.source) && store.has(relation.target)) {
          store.relations.set(relation.key, relation);
          renderRelations();
        }
        if (message) {
          refuse(`Not deleted: ${describeRelation(relation)}. ${message}`);
        }
      },
    });
    if (record) {
      undoLog.push({
        valid: () => !store.relations.has(relation.key) && store.has(relation.source) && store.has(relation.target),
        undo: () => createRelation(relation.type, relation.source, relation.target, { record: false, revive: relation }),
      });
    }
    announce(`Deleted ${describeRelation(relation)}.`);
  }

  // ---- picking a relation's target -------------------------------------------------

  function distance(a, b) {
    if (a.start < b.end && b.start < a.end) {
      return 0;
    }
    return a.end <= b.start ? b.start - a.end : a.start - b.end;
  }

  function startPicking(type) {
    if (readOnly) {
      refuse(readOnlyText);
      return;
    }
    const source = selected;
    if (!source || source.layer !== "own") {
      refuse(`Select one of your spans first, then press ${type.key} to link it as ${article(type.name)} relation.`);
      return;
    }
    if (type.sources.length && !type.sources.includes(source.label)) {
      refuse(`A ${type.name} relation starts at ${article(names(type.sources))} span, not at ${spanWords(source)}.`, source);
      return;
    }
    const candidates = store.ordered("own")
      .filter((span) => span !== source && (!type.targets.length || type.targets.includes(span.label)) &&
        !sameRelation(type, source, span))
      .map((span, order) => ({ span, order, gap: distance(source, span) }))
      .sort((a, b) => (a.gap - b.gap) || (a.order - b.order))
      .map(({ span }) => span);
    if (!candidates.length) {
      const wanted = type.targets.length ? `${names(type.targets)} span` : "other span";
      refuse(`No ${wanted} of yours to link ${spanWords(source)} to as ${type.name}: mark it first.`, source);
      return;
    }
    picking = { type, source, candidates, index: 0 };
    root.dataset.picking = type.name;
    announcePick();
  }

  function announcePick() {
    const candidate = picking.candidates[picking.index];
    showLinks();
    const rect = view.rectsFor(candidate.start, candidate.end)[0];
    if (rect && (rect.top < 80 || rect.bottom > window.innerHeight)) {
      window.scrollBy({ top: rect.top - window.innerHeight / 3 });
      showLinks();
    }
    announce(`${picking.type.name} from ${describe(picking.source)}: target ${picking.index + 1} of ` +
      `${picking.candidates.length}, ${describe(candidate)}. Tab or arrows for the next, Enter links, Esc cancels.`);
  }

  function stopPicking(message = null) {
    picking = null;
    delete root.dataset.picking;
    showLinks();
    if (message) {
      announce(message);
    }
  }

  function confirmPick(target) {
    const { type, source } = picking;
    stopPicking();
    if (!store.has(source) || !store.has(target)) {
      return;
    }
    createRelation(type, source, target);
  }

  // In the capture phase, before the text's caret keys and the page's keys.
  window.addEventListener("keydown", (event) => {
    if (!picking) {
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) {
      stopPicking();
      return;
    }
    const steps = { Tab: event.shiftKey ? -1 : 1, ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
    if (event.key in steps) {
      const count = picking.candidates.length;
      picking.index = (picking.index + steps[event.key] + count) % count;
      announcePick();
    } else if (event.key === "Enter") {
      confirmPick(picking.candidates[picking.index]);
    } else if (event.key === "Escape") {
      stopPicking("No relation made.");
    } else if (event.key === "Shift") {
      return;
    } else {
      notices.show("Picking a relation's target: Tab or arrows walk the candidates, Enter links, Esc cancels.",
        "info", [], 4000);
    }
    event.preventDefault();
    event.stopPropagation();
  }, true);

  // A click on a span picks it (a span the type does not allow is sent all the
  // same: the server's refusal says why).
  textElement.parentElement.addEventListener("click", (event) => {
    if (!picking) {
      return;
    }
    event.stopPropagation();
    const offset = view.offsetAtPoint(event.clientX, event.clientY);
    const around = offset === null ? [] : store.covering("own", offset).filter((span) => span !== picking.source);
    if (!around.length) {
      stopPicking("No relation made.");
      return;
    }
    confirmPick(around.find((span) => picking.candidates.includes(span)) || around[0]);
  }, true);

  // ---- attributes ------------------------------------------------------------------

  function setAttribute(span, attribute, value, { record = true } = {}) {
    const previous = span.attrs.has(attribute.id) ? span.attrs.get(attribute.id) : null;
    if (previous === value || !store.has(span)) {
      return;
    }
    if (readOnly) {
      refuse(readOnlyText, span);
      return;
    }
    const apply = (to) => {
      if (to === null) {
        span.attrs.delete(attribute.id);
      } else {
        span.attrs.set(attribute.id, to);
      }
      renderAttributes();
    };
    apply(value);
    const incarnation = span.incarnation;
    pending(span, 1);
    const words = `${attribute.name} of ${describe(span)}`;
    queue.push({
      describe: () => words,
      request: () => (incarnation.refused || incarnation.id === null ? null : {
        url: root.dataset.attributeUrl.replace("/0/attributes/0/", `/${incarnation.id}/attributes/${attribute.id}/`),
        values: { value: value || "" },
      }),
      applied: () => pending(span, -1),
      refused: (message) => {
        pending(span, -1);
        if ((span.attrs.get(attribute.id) ?? null) === value) {
          apply(previous);
        }
        if (message) {
          refuse(`Not saved: ${words}. ${message}`, span);
        }
      },
    });
    if (record) {
      undoLog.push({
        valid: () => store.has(span) && (span.attrs.get(attribute.id) ?? null) === value,
        undo: () => setAttribute(span, attribute, previous, { record: false }),
      });
    }
    announce(value === null ? `Cleared ${words}.` : `${words}: ${value}.`);
  }

  // The selected span's attributes, as radio groups; Alt+1, Alt+2… number their
  // values in the order shown.
  function renderAttributes() {
    const span = selected && selected.layer === "own" ? selected : null;
    const attributes = span ? attributesOf.get(span.label) || [] : [];
    const hadFocus = attributeBox.contains(document.activeElement) ? document.activeElement.id : null;
    attributeBox.hidden = !attributes.length;
    if (!attributes.length) {
      return;
    }
    document.getElementById("attributes-of").textContent = describe(span);
    let number = 0;
    attributeBox.querySelector(".attribute-groups").replaceChildren(...attributes.map((attribute) => {
      const group = document.createElement("fieldset");
      const legend = document.createElement("legend");
      legend.textContent = attribute.name;
      group.append(legend);
      const current = span.attrs.get(attribute.id) ?? null;
      for (const value of [...attribute.values, null]) {
        const label = document.createElement("label");
        const input = document.createElement("input");
        input.type = "radio";
        input.name = `attribute-${attribute.id}`;
        input.id = `attribute-${attribute.id}-${value === null ? "none" : attribute.values.indexOf(value)}`;
        input.checked = current === value;
        input.disabled = readOnly;
        input.addEventListener("change", () => setAttribute(span, attribute, value));
        const text = document.createElement("span");
        if (value === null) {
          text.textContent = "not set";
        } else {
          number += 1;
          if (number < 10) {
            const key = document.createElement("kbd");
            key.textContent = `Alt+${number}`;
            label.append(input, key, " ");
          }
          text.textContent = value;
        }
        if (!input.parentElement) {
          label.append(input);
        }
        label.append(text);
        group.append(label);
      }
      return group;
    }));
    if (hadFocus) {
      const input = document.getElementById(hadFocus);
      if (input) {
        input.focus({ preventScroll: true });
      }
    }
  }

  document.addEventListener("keydown", (event) => {
    const digit = /^Digit([1-9])$/.exec(event.code);
    if (!digit || !event.altKey || event.ctrlKey || event.metaKey || !selected || selected.layer !== "own") {
      return;
    }
    const values = (attributesOf.get(selected.label) || [])
      .flatMap((attribute) => attribute.values.map((value) => [attribute, value]));
    const chosen = values[Number(digit[1]) - 1];
    if (!chosen) {
      return;
    }
    event.preventDefault();
    const [attribute, value] = chosen;
    setAttribute(selected, attribute, selected.attrs.get(attribute.id) === value ? null : value);
  });

  // A relabel keeps the values of same-named attributes of the new label, as the server does.
  function relabelAttributes(span, label) {
    const byName = new Map((attributesOf.get(label) || []).map((attribute) => [attribute.name.toLowerCase(), attribute]));
    const kept = new Map();
    for (const [id, value] of span.attrs) {
      const moved = byName.get(attributeById.get(id).name.toLowerCase());
      if (moved && moved.values.includes(value)) {
        kept.set(moved.id, value);
      }
    }
    return kept;
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
    } else if (selected && selected.layer === "suggestion") {
      acceptSuggestion(selected, label);
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
    } else if (event.key === "Enter" && selected && selected.layer === "suggestion") {
      event.preventDefault();
      acceptSuggestion(selected);
    } else if (event.key === "Enter" && caret !== null) {
      event.preventDefault();
      const around = coveringAll(caret);
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
    const around = offset === null ? [] : coveringAll(offset);
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
      const around = offset === null ? [] : coveringAll(offset).reverse();
      painter.hover(around, { left: event.clientX + 12, top: event.clientY + 16 });
      hoverSpans(around.filter((span) => span.layer === "own"));
    });
  });
  textElement.addEventListener("pointerleave", () => {
    painter.hover([], null);
    hoverSpans([]);
  });

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

  function neighbour(direction, ordered = list.order) {
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
    remove: () => {
      if (selected && selected.layer === "suggestion") {
        rejectSuggestion(selected);
        return true;
      }
      return selected ? deleteSpan(selected) : false;
    },
    labelByHotkey,
    applyLabel,
    keys: {
      ...Object.fromEntries(relationTypes.map((type) => [type.key, () => startPicking(type)])),
      n: () => leave(root.dataset.nextUrl),
      p: () => leave(root.dataset.previousUrl),
      "]": () => neighbour(1),
      "[": () => neighbour(-1),
      s: () => nextSuggestion(1),
      S: () => nextSuggestion(-1),
      x: () => (selected && selected.layer === "suggestion" ? rejectSuggestion(selected) : false),
      A: () => (selected && selected.layer === "suggestion" ? acceptAll(selected.label) : false),
      // Enter in the text is handled above; elsewhere it accepts the selected
      // suggestion, unless it presses a focused button or link.
      Enter: (event) => {
        if (!selected || selected.layer !== "suggestion" || event.target.closest("button, a, summary")) {
          return false;
        }
        acceptSuggestion(selected);
        return true;
      },
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
  for (const [id, typeId, sourceId, targetId] of data.relations) {
    const source = store.byId("own", sourceId);
    const target = store.byId("own", targetId);
    const key = `r${nextRelationKey++}`;
    store.relations.set(key, {
      key, id, type: typeById.get(typeId), source, target, from: source.key, to: target.key,
      incarnation: { id, refused: false }, pending: false,
    });
  }
  for (const [spanId, attributeId, value] of data.attributeValues) {
    store.byId("own", spanId).attrs.set(attributeId, value);
  }
  renderRelations();
  root.dataset.ready = "true";
  loadSuggestions();
})();
