// The adjudication page, on the same engine as the annotate page (engine.js).
// The gold text is shown paragraph by paragraph; under each paragraph where the
// annotators differ, one line per annotator shows their spans over the same
// words, so a disagreement is settled where it is. Every action is a write in
// the engine's queue and an entry in its undo log: add, reject, relabel, move
// (e), accept (a), accept all (A), use an annotator's span (u), pre-merge, and
// Mark gold (undone by reopening).
"use strict";

(() => {
  const root = document.getElementById("adjudicate");
  const data = root && JSON.parse(document.getElementById("adjudicate-data").textContent);
  if (!root || !data) {
    return;
  }
  const E = window.AnnotatorEngine;
  const S = window.AnnotatorSelection;
  const { escapeHtml } = window.AnnotatorSpanList;
  const container = document.getElementById("document-text");
  const frame = container.parentElement;
  const offsets = S.offsetsOf(data.text);
  const labelByHotkey = new Map();
  const labelNames = new Map();
  for (const button of root.querySelectorAll(".label-button")) {
    labelByHotkey.set(button.dataset.hotkey, Number(button.dataset.label));
    labelNames.set(Number(button.dataset.label), button.dataset.name);
  }
  const annotatorNames = new Map(data.annotators);
  let goldStatus = data.goldStatus;

  // ---- paragraphs, each with one lane per annotator ---------------------------

  const paragraphs = [];
  const paragraphPattern = /[^\n]+/g;
  for (let match; (match = paragraphPattern.exec(data.text));) {
    paragraphs.push({ start: match.index, end: match.index + match[0].length });
  }
  const goldBlocks = [];
  const laneBlocks = new Map(data.annotators.map(([id]) => [id, []]));
  const fragment = document.createDocumentFragment();
  for (const paragraph of paragraphs) {
    const section = document.createElement("section");
    section.className = "paragraph";
    const block = document.createElement("div");
    block.className = "text-block";
    block.dataset.offset = String(paragraph.start);
    block.textContent = data.text.slice(paragraph.start, paragraph.end);
    section.append(block);
    goldBlocks.push({ element: block, start: paragraph.start });
    const lanes = document.createElement("div");
    lanes.className = "lanes";
    for (const [id, name] of data.annotators) {
      const lane = document.createElement("div");
      lane.className = "lane";
      const who = document.createElement("span");
      who.className = "lane-name";
      who.textContent = name;
      const text = document.createElement("div");
      text.className = "lane-text";
      text.textContent = block.textContent;
      lane.append(who, text);
      lanes.append(lane);
      laneBlocks.get(id).push({ element: text, start: paragraph.start });
    }
    section.append(lanes);
    paragraph.section = section;
    paragraph.lanes = lanes;
    fragment.append(section);
  }
  container.append(fragment);

  const gold = new S.TextView(data.text, goldBlocks);
  const laneViews = new Map(Array.from(laneBlocks, ([id, blocks]) => [id, new S.TextView(data.text, blocks)]));
  const store = new E.SpanStore();
  const painter = new E.Painter(gold, frame, { labelNames });
  const lanePainters = new Map(Array.from(laneViews, ([id, view]) => [id, new E.Painter(view, frame, { labelNames })]));
  const notices = new E.Notices(document.getElementById("notices"));
  const queue = new E.WriteQueue({ csrfToken: E.csrfToken(), notices, status: root });
  const undoLog = new E.UndoLog();
  const announce = E.announcer();
  const counters = root.querySelectorAll("[data-span-count]");
  let selected = null;
  let caret = null;
  let anchor = null;

  const quoteOf = (span) => gold.quote(span.start, span.end);
  const describe = (span) => {
    const who = span.layer === "source" ? `${annotatorNames.get(span.annotator)}'s ` : "";
    return `${who}${labelNames.get(span.label)} ${E.quoted(quoteOf(span))}`;
  };

  // ---- regions of disagreement ----------------------------------------------------

  // Regions and paragraphs are fixed for the page: which paragraphs each region
  // touches is worked out once.
  const regions = data.regions.map(([start, end, differs]) => {
    const [start16, end16] = [offsets.toUtf16(start), offsets.toUtf16(end)];
    const touched = paragraphs.filter((paragraph) => paragraph.start < end16 && start16 < paragraph.end);
    return { start: start16, end: end16, differs, paragraphs: touched };
  });

  // Whether a region has an accepted gold span over it. Runs after every answer, so
  // not a scan of every span per region (10-27 ms an answer at 3 x 1,000 spans): the
  // accepted gold spans by start, each with the furthest end up to it, searched.
  function settledTest() {
    const accepted = [];
    for (const span of store.spans.values()) {
      if (span.layer === "gold" && span.state !== "proposed") {
        accepted.push(span);
      }
    }
    accepted.sort((a, b) => a.start - b.start);
    const furthest = [];
    for (const span of accepted) {
      furthest.push(Math.max(span.end, furthest.length ? furthest[furthest.length - 1] : -Infinity));
    }
    return (region) => {
      let low = 0;
      let high = accepted.length;
      while (low < high) {
        const middle = (low + high) >> 1;
        if (accepted[middle].start < region.end) {
          low = middle + 1;
        } else {
          high = middle;
        }
      }
      return low > 0 && furthest[low - 1] > region.start;
    };
  }

  // The count drops as regions get a gold span; paragraphs with an unsettled
  // region show their lanes (all of them with "Show every annotator"). Only what
  // changed is written: the page lays out again for each change.
  function recount() {
    const showAll = document.getElementById("all-lanes").checked;
    const settled = settledTest();
    let left = 0;
    for (const paragraph of paragraphs) {
      paragraph.open = 0;
      paragraph.differs = false;
    }
    for (const region of regions) {
      if (!region.differs) {
        continue;
      }
      const open = !settled(region);
      left += open ? 1 : 0;
      for (const paragraph of region.paragraphs) {
        paragraph.differs = true;
        paragraph.open += open ? 1 : 0;
      }
    }
    let moved = false;
    for (const paragraph of paragraphs) {
      paragraph.section.classList.toggle("differs", paragraph.differs);
      paragraph.section.classList.toggle("unsettled", paragraph.open > 0);
      const hidden = !(showAll || paragraph.differs);
      if (paragraph.lanes.hidden !== hidden) {
        paragraph.lanes.hidden = hidden;
        moved = true;
      }
      const state = paragraph.open > 0 ? `≠ ${paragraph.open} to settle` : "✓ settled";
      if (paragraph.section.dataset.unsettled !== state) {
        paragraph.section.dataset.unsettled = state;
      }
    }
    if (laneCaret && paragraphs[laneCaret.paragraph].lanes.hidden) {
      laneCaret = null;
      markLane();
    }
    // Lanes shown or hidden move the text: the painters' windows follow.
    if (moved) {
      [painter, ...lanePainters.values()].forEach((each) => each.updateWindow && each.updateWindow());
    }
    document.getElementById("disagreement-count").textContent = String(left);
    document.getElementById("disagreement-plural").textContent = left === 1 ? "" : "s";
    const proposed = Array.from(store.spans.values()).filter((span) => span.layer === "gold" && span.state === "proposed").length;
    const proposedCount = document.getElementById("proposed-count");
    if (proposedCount) {
      proposedCount.textContent = String(proposed);
      document.getElementById("accept-all").disabled = proposed === 0;
    }
    counters.forEach((counter) => {
      counter.textContent = String(list.length);
    });
    return left;
  }

  // ---- the gold list ----------------------------------------------------------------

  const list = new AnnotatorSpanList.SpanList(document.getElementById("gold-list"), {
    describe: (span) => ({
      label: labelNames.get(span.label),
      quote: quoteOf(span),
      className: ` gold-item ${span.state === "proposed" ? "proposed" : "accepted"}${span.pending ? " pending" : ""}`,
      extra: ` <span class="gold-state">${span.state === "proposed" ? "Proposed" : "Accepted"}</span>` +
        `<span class="provenance muted">${escapeHtml(span.provenance || "")}</span>`,
    }),
    removable: () => goldStatus !== "gold",
    deleteLabel: "Reject",
    rowHeight: 78,
    emptyText: "No gold spans yet. Pre-merge, or select text and press a label key.",
    onChoose: (key, options) => choose(store.get(key), options),
    onDelete: (key) => rejectGold(store.get(key)),
  });

  function paintSpan(span) {
    (span.layer === "source" ? lanePainters.get(span.annotator) : painter).paint(span);
  }

  function show(span) {
    paintSpan(span);
    if (span.layer === "gold") {
      list.insert(span);
    }
  }

  function hide(span) {
    (span.layer === "source" ? lanePainters.get(span.annotator) : painter).erase(span);
    list.remove(span);
    if (selected === span) {
      choose(null);
    }
  }

  function restyle(span) {
    paintSpan(span);
    list.update(span);
  }

  function pending(span, change) {
    span.pendingWrites = (span.pendingWrites || 0) + change;
    span.pending = span.pendingWrites > 0;
    span.status = span.pending ? "pending" : "saved";
    if (store.has(span)) {
      restyle(span);
    }
  }

  // Brings a gold span in line with the server's answer to one write. While
  // later writes on the span wait (an undo made before this answer came), the
  // page already shows what they will make of it: only the id is taken.
  function settle(span, answer) {
    span.id = answer.id;
    span.provenance = answer.provenance;
    if ((span.pendingWrites || 0) > 1) {
      return;
    }
    const [start, end] = [offsets.toUtf16(answer.start), offsets.toUtf16(answer.end)];
    Object.assign(span, {
      label: answer.label, start, end, state: answer.status === "proposed" ? "proposed" : null,
    });
  }

  function addGold(answer) {
    const existing = store.byId("gold", answer.id);
    const span = existing || store.add({ layer: "gold", label: answer.label, start: 0, end: 0 });
    settle(span, answer);
    span.incarnation = span.incarnation || { id: answer.id, refused: false };
    span.incarnation.id = answer.id;
    if (existing) {
      restyle(span);
    } else {
      show(span);
    }
    return span;
  }

  function choose(span, { scroll = false } = {}) {
    selected = span && store.has(span) ? span : null;
    painter.select(selected && selected.layer === "gold" ? selected : null);
    for (const lanePainter of lanePainters.values()) {
      lanePainter.select(selected && selected.layer === "source" && lanePainters.get(selected.annotator) === lanePainter ? selected : null);
    }
    list.mark(selected && selected.layer === "gold" ? selected.key : null);
    if (!selected) {
      return;
    }
    const hint = selected.layer === "source" ? "u uses it as gold." : selected.state === "proposed"
      ? "a accepts it, Delete rejects it, a label key relabels it." : "Delete rejects it, a label key relabels it.";
    announce(`${describe(selected)}. ${hint}`);
    if (scroll) {
      const view = selected.layer === "source" ? laneViews.get(selected.annotator) : gold;
      const rect = view.rectsFor(selected.start, selected.end)[0];
      if (rect && (rect.top < 80 || rect.bottom > window.innerHeight)) {
        window.scrollTo({ top: rect.top + window.scrollY - window.innerHeight / 3 });
      }
    }
  }

  function noticeNear(span, element = null) {
    const view = span && span.layer === "source" ? laneViews.get(span.annotator) : gold;
    const rects = span ? view.rectsFor(span.start, span.end) : [];
    notices.placeNear(rects[rects.length - 1] || (element || container).getBoundingClientRect());
  }

  function refuse(text, span = null, element = null) {
    noticeNear(span, element);
    notices.show(text, "refused", [{ label: "Dismiss", run: (notice) => notice.close() }], 12000);
    announce(text);
  }

  const closedText = "This document is gold: reopen it before changing its gold spans.";

  function writable(span = null) {
    if (goldStatus === "gold") {
      refuse(closedText, span);
      return false;
    }
    return true;
  }

  // ---- writes -------------------------------------------------------------------------
  // `write` wraps the queue: `request` is built at send time from incarnations
  // (a span's life on the server), `onAnswer` gets the JSON, `onRefused` puts
  // the page back as it was.

  function write({ describeText, request, onAnswer = () => {}, onRefused = () => {}, span = null }) {
    queue.push({
      describe: () => describeText,
      request,
      applied: (answer) => {
        if (answer.goldStatus) {
          setGoldStatus(answer.goldStatus);
        }
        onAnswer(answer);
        recount();
        refreshRelations();
      },
      refused: (message) => {
        onRefused();
        recount();
        refreshRelations();
        if (message) {
          refuse(`Not saved: ${describeText}. ${message}`, span && store.has(span) ? span : null);
        }
      },
    });
  }

  const idOf = (incarnation) => (incarnation.refused || incarnation.id === null ? null : incarnation.id);

  // `propose`: gold spans the page already shows as proposed again; `remove`:
  // spans it already took away, shown again if the server keeps them. Both by
  // span, resolved to ids when sent.
  // `relations` and `attributeValues`: ids of gold relations and values to remove too.
  function revert({ propose = [], remove = [], relations = [], attributeValues = [], describeText }) {
    const incarnations = { propose: propose.map((span) => span.incarnation), remove: remove.map((span) => span.incarnation) };
    propose.forEach((span) => pending(span, 1));
    const done = () => propose.forEach((span) => pending(span, -1));
    const kept = () => {
      done();
      remove.filter((span) => !store.has(span)).forEach((span) => {
        store.spans.set(span.key, span);
        show(span);
      });
    };
    write({
      describeText,
      request: () => {
        const values = new URLSearchParams();
        incarnations.propose.map(idOf).filter((id) => id !== null).forEach((id) => values.append("propose", id));
        incarnations.remove.map(idOf).filter((id) => id !== null).forEach((id) => values.append("delete", id));
        relations.forEach((id) => values.append("delete_relation", id));
        attributeValues.forEach((id) => values.append("delete_value", id));
        return values.toString() ? { url: root.dataset.revertUrl, values } : null;
      },
      onAnswer: done,
      onRefused: kept,
    });
  }

  // Proposals made accepted optimistically; the undo proposes them again.
  function markAccepted(spans) {
    const before = spans.map((span) => [span, span.state]);
    spans.forEach((span) => {
      span.state = null;
      pending(span, 1);
    });
    return () => before.forEach(([span, state]) => {
      if (store.has(span)) {
        span.state = state;
        restyle(span);
      }
    });
  }

  function createGold(label, start, end) {
    const existing = store.find("gold", label, start, end);
    if (existing) {
      if (existing.state === "proposed") {
        acceptGold(existing);
      } else {
        choose(existing);
        refuse(`Not saved. The gold version already has ${describe(existing)}.`, existing);
      }
      return;
    }
    const span = store.add({ layer: "gold", label, start, end, provenance: "added by you" });
    const incarnation = { id: null, refused: false };
    span.incarnation = incarnation;
    pending(span, 1);
    show(span);
    const [pointStart, pointEnd] = gold.toCodePoints(start, end);
    const text = gold.quote(start, end);
    let created = true;
    write({
      describeText: `add ${describe(span)}`,
      span,
      request: () => ({ url: root.dataset.createUrl, values: { label, start: pointStart, end: pointEnd, text } }),
      onAnswer: (answer) => {
        const [saved] = answer.gold;
        created = answer.created;
        incarnation.id = saved.id;
        const twin = store.byId("gold", saved.id);
        if (twin && twin !== span) {
          // It accepted a proposal the page already showed: one span, not two.
          store.remove(span);
          hide(span);
          addGold(saved);
          return;
        }
        settle(span, saved);
        pending(span, -1);
      },
      onRefused: () => {
        incarnation.refused = true;
        if (store.has(span)) {
          store.remove(span);
          hide(span);
        }
      },
    });
    undoLog.push({
      valid: () => !incarnation.refused,
      undo: () => {
        const current = store.byId("gold", incarnation.id) || span;
        if (!created) {
          current.state = "proposed";
          revert({ propose: [current], describeText: `undo accepting ${describe(current)}` });
        } else {
          rejectGold(current, { record: false });
        }
      },
    });
  }

  // The gold relations and attribute values listed under the gold spans are rendered by
  // the server; the database deletes those of a rejected gold span, so its rows go too.
  function dropGoldRelationRows(id) {
    if (id === null) {
      return;
    }
    for (const row of root.querySelectorAll("[data-gold-ends], [data-gold-span]")) {
      const ends = (row.dataset.goldEnds || row.dataset.goldSpan).split(" ");
      if (ends.includes(String(id))) {
        row.remove();
      }
    }
  }

  // After writes the server renders the relations panel again (its rows, the gold spans
  // its forms offer, the values): once the queue is idle and writes have paused for a
  // moment, so a burst of keys costs one request; an answer older than a write is dropped.
  let panelChanges = 0;
  let panelTimer = null;
  function refreshRelations() {
    panelChanges += 1;
    root.dataset.panel = "stale";
    clearTimeout(panelTimer);
    panelTimer = setTimeout(() => loadRelations(panelChanges), 300);
  }

  async function loadRelations(changes) {
    await queue.whenIdle();
    if (changes !== panelChanges) {
      return;
    }
    let html = null;
    try {
      const response = await fetch(root.dataset.panelUrl, { headers: { Accept: "text/html" }, credentials: "same-origin" });
      html = response.ok ? await response.text() : null;
    } catch (error) {
      html = null;
    }
    const section = document.getElementById("gold-relations");
    if (changes !== panelChanges || html === null || !section) {
      return;
    }
    const template = document.createElement("template");
    template.innerHTML = html;
    const fresh = template.content.getElementById("gold-relations");
    if (fresh) {
      keepChoices(section, fresh);
      section.replaceWith(fresh);
      root.dataset.panel = "fresh";
    }
  }

  // What the curator was choosing in the panel survives its refresh: the open
  // attributes, and each select's value where the fresh one still offers it.
  function keepChoices(section, fresh) {
    const details = section.querySelector("#gold-attributes");
    const freshDetails = fresh.querySelector("#gold-attributes");
    if (details && freshDetails) {
      freshDetails.open = details.open;
    }
    const key = (select) => `${select.form ? select.form.getAttribute("action") : ""} ${select.name}`;
    const chosen = new Map(Array.from(section.querySelectorAll("select"), (select) => [key(select), select.value]));
    for (const select of fresh.querySelectorAll("select")) {
      const value = chosen.get(key(select));
      if (value !== undefined && Array.from(select.options).some((option) => option.value === value)) {
        select.value = value;
      }
    }
  }

  function rejectGold(span, { record = true } = {}) {
    if (!span || !store.has(span) || span.layer !== "gold" || !writable(span)) {
      return Boolean(span);
    }
    const incarnation = span.incarnation;
    // What the server deleted, signed by it: the undo puts back exactly that.
    const deletion = { restore: null, refused: false };
    noticeNear(span);
    store.remove(span);
    hide(span);
    dropGoldRelationRows(idOf(incarnation));
    write({
      describeText: `reject ${describe(span)}`,
      request: () => (idOf(incarnation) === null ? null : { url: E.urlFor(root.dataset.deleteUrl, incarnation.id), values: {} }),
      onAnswer: (answer) => {
        deletion.restore = answer.restore;
      },
      onRefused: () => {
        deletion.refused = true;
        if (!store.has(span)) {
          store.spans.set(span.key, span);
          show(span);
        }
      },
    });
    if (record) {
      undoLog.push({
        valid: () => !store.has(span),
        undo: () => restoreGold(span, deletion),
      });
    }
    return true;
  }

  // The undo of a reject: the span comes back as it was, proposed or accepted, with its
  // provenance, relations and values, under its old id.
  function restoreGold(span, deletion) {
    store.spans.set(span.key, span);
    pending(span, 1);
    show(span);
    write({
      describeText: `undo rejecting ${describe(span)}`,
      span,
      // A refused reject left the span where it was: nothing to restore. Without a
      // snapshot otherwise (the reject was never sent) the server refuses, in words.
      request: () => {
        if (deletion.refused) {
          pending(span, -1);
          return null;
        }
        return { url: root.dataset.revertUrl, values: { restore: deletion.restore || "" } };
      },
      onAnswer: (answer) => {
        const [saved] = answer.gold;
        span.incarnation.id = saved.id;
        settle(span, saved);
        pending(span, -1);
      },
      onRefused: () => {
        pending(span, -1);
        if (store.has(span)) {
          store.remove(span);
          hide(span);
        }
      },
    });
  }

  function acceptGold(span, { record = true } = {}) {
    if (!span || span.layer !== "gold" || span.state !== "proposed" || !writable(span)) {
      return;
    }
    const incarnation = span.incarnation;
    const restore = markAccepted([span]);
    let refused = false;
    write({
      describeText: `accept ${describe(span)}`,
      span,
      request: () => (idOf(incarnation) === null ? null : { url: E.urlFor(root.dataset.acceptUrl, incarnation.id), values: {} }),
      onAnswer: (answer) => {
        settle(span, answer.gold[0]);
        pending(span, -1);
      },
      onRefused: () => {
        refused = true;
        pending(span, -1);
        restore();
      },
    });
    if (record) {
      undoLog.push({
        valid: () => !refused && store.has(span),
        undo: () => {
          span.state = "proposed";
          revert({ propose: [span], describeText: `undo accepting ${describe(span)}` });
        },
      });
    }
  }

  function acceptAll() {
    const proposals = Array.from(store.spans.values()).filter((span) => span.layer === "gold" && span.state === "proposed");
    if (!proposals.length || !writable()) {
      return;
    }
    const restore = markAccepted(proposals);
    let refused = false;
    write({
      describeText: `accept ${proposals.length} proposals`,
      request: () => ({ url: root.dataset.acceptAllUrl, values: {} }),
      onAnswer: (answer) => {
        for (const item of answer.gold) {
          const span = store.byId("gold", item.id);
          if (span) {
            settle(span, item);
          } else {
            addGold(item);
          }
        }
        proposals.forEach((span) => pending(span, -1));
      },
      onRefused: () => {
        refused = true;
        proposals.forEach((span) => pending(span, -1));
        restore();
      },
    });
    undoLog.push({
      valid: () => !refused,
      undo: () => {
        const back = proposals.filter((span) => store.has(span));
        back.forEach((span) => {
          span.state = "proposed";
        });
        revert({ propose: back, describeText: `undo accepting ${back.length} proposals` });
      },
    });
  }

  // Relabel (label) or move (start/end): both accept the span on the server.
  function changeGold(span, changes, { record = true } = {}) {
    if (!span || span.layer !== "gold" || !writable(span)) {
      return;
    }
    const before = { label: span.label, start: span.start, end: span.end, state: span.state };
    const incarnation = span.incarnation;
    Object.assign(span, changes, { state: null });
    pending(span, 1);
    const moving = "start" in changes;
    const [pointStart, pointEnd] = gold.toCodePoints(span.start, span.end);
    const values = moving ? { start: pointStart, end: pointEnd, text: gold.quote(span.start, span.end) } : { label: span.label };
    let refused = false;
    write({
      describeText: `${moving ? "move" : "relabel"} ${describe(span)}`,
      span,
      request: () => (idOf(incarnation) === null ? null : {
        url: E.urlFor(moving ? root.dataset.resizeUrl : root.dataset.relabelUrl, incarnation.id), values,
      }),
      onAnswer: (answer) => {
        settle(span, answer.gold[0]);
        pending(span, -1);
      },
      onRefused: () => {
        refused = true;
        pending(span, -1);
        if (store.has(span)) {
          Object.assign(span, before);
          restyle(span);
        }
      },
    });
    if (record) {
      undoLog.push({
        valid: () => !refused && store.has(span),
        undo: () => {
          const back = moving ? { start: before.start, end: before.end } : { label: before.label };
          changeGold(span, back, { record: false });
          if (before.state === "proposed") {
            span.state = "proposed";
            revert({ propose: [span], describeText: `undo accepting ${describe(span)}` });
          }
        },
      });
    }
  }

  function useSource(span) {
    if (!span || span.layer !== "source" || !writable()) {
      return;
    }
    const existing = store.find("gold", span.label, span.start, span.end);
    if (existing) {
      if (existing.state === "proposed") {
        acceptGold(existing);
      } else {
        refuse(`The gold version already has ${describe(existing)}.`, existing);
      }
      return;
    }
    const goldSpan = store.add({
      layer: "gold", label: span.label, start: span.start, end: span.end,
      provenance: `from ${annotatorNames.get(span.annotator)}`,
    });
    const incarnation = { id: null, refused: false };
    goldSpan.incarnation = incarnation;
    pending(goldSpan, 1);
    show(goldSpan);
    write({
      describeText: `use ${describe(span)}`,
      span: goldSpan,
      request: () => ({ url: E.urlFor(root.dataset.adoptUrl, span.id), values: {} }),
      onAnswer: (answer) => {
        incarnation.id = answer.gold[0].id;
        settle(goldSpan, answer.gold[0]);
        pending(goldSpan, -1);
      },
      onRefused: () => {
        incarnation.refused = true;
        if (store.has(goldSpan)) {
          store.remove(goldSpan);
          hide(goldSpan);
        }
      },
    });
    undoLog.push({ valid: () => !incarnation.refused, undo: () => rejectGold(goldSpan, { record: false }) });
    announce(`Used ${describe(span)} as gold.`);
  }

  function premerge(minimum) {
    if (!writable()) {
      return;
    }
    const made = [];
    const dependents = { relations: [], values: [] };
    let refused = false;
    write({
      describeText: `pre-merge (at least ${minimum} agree)`,
      request: () => ({ url: root.dataset.premergeUrl, values: { minimum } }),
      onAnswer: (answer) => {
        answer.gold.forEach((item) => made.push(addGold(item)));
        Object.assign(dependents, { relations: answer.relations, values: answer.values });
        announce(`Pre-merge proposed ${made.length} span${made.length === 1 ? "" : "s"}.`);
      },
      onRefused: () => {
        refused = true;
      },
    });
    undoLog.push({
      valid: () => !refused,
      undo: () => {
        const back = made.filter((span) => store.has(span));
        back.forEach((span) => {
          store.remove(span);
          hide(span);
        });
        // Relations and values it proposed over spans that were there before it go too.
        revert({
          remove: back, relations: dependents.relations, attributeValues: dependents.values,
          describeText: `undo the pre-merge of ${back.length} spans`,
        });
      },
    });
  }

  function setGoldStatus(status) {
    goldStatus = status;
    const badge = document.getElementById("gold-status");
    badge.textContent = status === "gold" ? "Gold" : status === "in_progress" ? "In progress" : "Not started";
    badge.className = `status status-${status}`;
    for (const button of root.querySelectorAll(".label-button")) {
      button.disabled = status === "gold";
    }
    const markForm = root.querySelector('form[data-action="mark-gold"]');
    if (markForm) {
      markForm.querySelector("button").textContent = status === "gold" ? "Reopen" : "Mark gold";
      markForm.querySelector("button").value = status === "gold" ? "in_progress" : "gold";
    }
  }

  function markGold(form) {
    const left = recount();
    const open = data.open;
    const doIt = () => {
      write({
        describeText: "mark gold",
        request: () => ({ url: root.dataset.statusUrl, values: { status: "gold", confirm: "1" } }),
        onAnswer: () => {
          notices.placeNear(form.getBoundingClientRect());
          notices.show("Marked gold: the document is read-only now.", "info", [
            { label: "Undo", run: (notice) => { notice.close(); reopen(); } },
          ], 15000);
        },
      });
    };
    if (!left && !open.length) {
      doIt();
      return;
    }
    const reasons = [];
    if (left) {
      reasons.push(`${left} region${left === 1 ? "" : "s"} of disagreement ${left === 1 ? "has" : "have"} no gold span yet`);
    }
    if (open.length) {
      reasons.push(`${open.join(", ")} ${open.length === 1 ? "is" : "are"} still annotating`);
    }
    notices.placeNear(form.getBoundingClientRect());
    notices.show(`${reasons.join(", and ")}. Mark gold anyway?`, "refused", [
      { label: "Mark gold", run: (notice) => { notice.close(); doIt(); } },
      { label: "Cancel", run: (notice) => notice.close() },
    ]);
    const confirm = notices.container.querySelector(".notice:last-child button");
    if (confirm) {
      confirm.id = "confirm-gold";
      confirm.focus();
    }
  }

  function reopen() {
    write({
      describeText: "reopen the document",
      request: () => ({ url: root.dataset.statusUrl, values: { status: "in_progress" } }),
    });
  }

  function undo() {
    const entry = undoLog.pop();
    if (entry) {
      entry.undo();
    } else {
      announce("Nothing to undo.");
    }
  }

  // ---- labelling and keys ------------------------------------------------------------------

  const snapToggle = document.getElementById("snap-words");

  function applyLabel(label) {
    if (!writable()) {
      return;
    }
    const range = gold.selected(snapToggle.checked);
    if (range) {
      window.getSelection().removeAllRanges();
      anchor = null;
      createGold(label, range.start, range.end);
    } else if (selected && selected.layer === "gold") {
      changeGold(selected, { label });
    } else if (selected && selected.layer === "source") {
      refuse("Press u to use this annotator's span, or select gold text first.", selected);
    } else {
      refuse(`Select some gold text first, then press ${labelNames.get(label)}'s key.`);
    }
  }

  function moveSelected() {
    const range = gold.selected(snapToggle.checked);
    if (!range || !selected || selected.layer !== "gold") {
      refuse("To move a gold span: click it, select the words it should cover, then press e.");
      return;
    }
    window.getSelection().removeAllRanges();
    changeGold(selected, { start: range.start, end: range.end });
  }

  function disputedStep(direction) {
    const disputed = Array.from(store.spans.values())
      .filter((span) => span.layer === "source" && span.disputed)
      .sort(E.compareSpans);
    if (!disputed.length) {
      return;
    }
    const index = disputed.indexOf(selected);
    const next = index === -1 ? (direction > 0 ? 0 : disputed.length - 1)
      : (index + direction + disputed.length) % disputed.length;
    choose(disputed[next], { scroll: true });
    laneCaret = { paragraph: paragraphAt(disputed[next].start), annotator: disputed[next].annotator };
    markLane();
  }

  function goldStep(direction) {
    const ordered = list.order;
    if (!ordered.length) {
      return;
    }
    const index = selected ? ordered.indexOf(selected) : -1;
    const next = index === -1 ? (direction > 0 ? 0 : ordered.length - 1)
      : Math.min(Math.max(index + direction, 0), ordered.length - 1);
    laneCaret = null;
    markLane();
    choose(ordered[next], { scroll: true });
  }

  // Clicks: a gold span in the text, or an annotator's span in a lane.
  container.addEventListener("click", (event) => {
    if (event.shiftKey || !window.getSelection().isCollapsed) {
      return;
    }
    const lane = event.target.closest(".lane");
    if (lane) {
      const annotator = data.annotators[Array.from(lane.parentElement.children).indexOf(lane)][0];
      const offset = laneViews.get(annotator).offsetAtPoint(event.clientX, event.clientY);
      const around = offset === null ? [] : store.covering("source", offset).filter((span) => span.annotator === annotator);
      choose(around[(around.indexOf(selected) + 1) % Math.max(around.length, 1)] || null);
      if (offset !== null) {
        laneCaret = { paragraph: paragraphAt(offset), annotator };
        markLane();
      }
      return;
    }
    const offset = gold.offsetAtPoint(event.clientX, event.clientY);
    const around = offset === null ? [] : store.covering("gold", offset);
    choose(around.length ? around[(around.indexOf(selected) + 1) % around.length] : null);
  });

  // ---- the caret in the annotators' lanes ---------------------------------------------
  // Down from a paragraph's gold text goes into its lanes, one annotator per press, and on
  // to the next paragraph's text; Up goes back. In a lane, Left and Right go from one of
  // that annotator's spans to the next (in paragraphs whose lanes show), u or Enter uses it.

  let laneCaret = null;
  const annotatorOrder = data.annotators.map(([id]) => id);
  const lanesShown = (index) => !paragraphs[index].lanes.hidden;

  function paragraphAt(offset) {
    const index = paragraphs.findIndex((paragraph) => offset <= paragraph.end);
    return index === -1 ? paragraphs.length - 1 : index;
  }

  function markLane() {
    root.querySelectorAll(".lane.lane-caret").forEach((lane) => lane.classList.remove("lane-caret"));
    if (laneCaret) {
      const position = annotatorOrder.indexOf(laneCaret.annotator);
      paragraphs[laneCaret.paragraph].lanes.children[position].classList.add("lane-caret");
    }
  }

  function spansOf(annotator, accept) {
    return Array.from(store.spans.values())
      .filter((span) => span.layer === "source" && span.annotator === annotator && accept(span))
      .sort(E.compareSpans);
  }

  function enterLane(index, position, near) {
    const annotator = annotatorOrder[position];
    laneCaret = { paragraph: index, annotator };
    caret = null;
    anchor = null;
    painter.setCaret(null);
    window.getSelection().removeAllRanges();
    const { start, end } = paragraphs[index];
    const here = spansOf(annotator, (span) => span.start < end && start < span.end);
    const span = here.find((each) => each.end > near) || here[here.length - 1];
    if (span) {
      choose(span, { scroll: true });
    } else {
      choose(null);
      announce(`${annotatorNames.get(annotator)}: no spans in this paragraph.`);
    }
    markLane();
  }

  function leaveLanes(offset) {
    laneCaret = null;
    markLane();
    choose(null);
    caret = offset;
    painter.setCaret(caret);
    announce(`Gold text: ${E.quoted(data.text.slice(offset, offset + 60) || "end of text")}`);
  }

  function vertical(direction) {
    if (!annotatorOrder.length || !paragraphs.length) {
      return;
    }
    if (laneCaret) {
      const position = annotatorOrder.indexOf(laneCaret.annotator) + direction;
      const index = laneCaret.paragraph;
      const near = selected && selected.layer === "source" ? selected.start : paragraphs[index].start;
      if (position >= 0 && position < annotatorOrder.length) {
        enterLane(index, position, near);
      } else if (direction < 0) {
        leaveLanes(near);
      } else if (index + 1 < paragraphs.length) {
        leaveLanes(paragraphs[index + 1].start);
      }
      return;
    }
    const offset = caret === null ? (selected ? selected.start : 0) : caret;
    const index = paragraphAt(offset);
    if (direction > 0 && lanesShown(index)) {
      enterLane(index, 0, offset);
    } else if (direction > 0 && index + 1 < paragraphs.length) {
      leaveLanes(paragraphs[index + 1].start);
    } else if (direction < 0 && index > 0 && lanesShown(index - 1)) {
      enterLane(index - 1, annotatorOrder.length - 1, offset);
    } else if (direction < 0 && index > 0) {
      leaveLanes(paragraphs[index - 1].start);
    }
  }

  function laneStep(direction) {
    const shown = spansOf(laneCaret.annotator, (span) => lanesShown(paragraphAt(span.start)));
    if (!shown.length) {
      announce(`${annotatorNames.get(laneCaret.annotator)} has no spans where the lanes show.`);
      return;
    }
    const index = shown.indexOf(selected);
    const from = paragraphs[laneCaret.paragraph].start;
    const next = index !== -1 ? shown[Math.min(Math.max(index + direction, 0), shown.length - 1)]
      : direction > 0 ? shown.find((span) => span.start >= from) || shown[shown.length - 1]
        : shown.slice().reverse().find((span) => span.start < from) || shown[0];
    laneCaret.paragraph = paragraphAt(next.start);
    choose(next, { scroll: true });
    markLane();
  }

  container.addEventListener("keydown", (event) => {
    if (event.metaKey) {
      return;
    }
    const plain = !event.ctrlKey && !event.altKey;
    if (plain && !event.shiftKey && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      vertical(event.key === "ArrowDown" ? 1 : -1);
      return;
    }
    if (plain && laneCaret && (event.key === "ArrowLeft" || event.key === "ArrowRight")) {
      event.preventDefault();
      laneStep(event.key === "ArrowLeft" ? -1 : 1);
      return;
    }
    if (plain && laneCaret && event.key === "Enter" && selected && selected.layer === "source") {
      event.preventDefault();
      useSource(selected);
      return;
    }
    const arrows = { ArrowLeft: -1, ArrowRight: 1 };
    if (!(event.key in arrows)) {
      return;
    }
    event.preventDefault();
    if (caret === null) {
      const selection = window.getSelection();
      const focus = selection.rangeCount ? gold.offsetOf(selection.focusNode, selection.focusOffset) : null;
      caret = focus === null ? 0 : focus;
    }
    anchor = event.shiftKey ? (anchor === null ? caret : anchor) : null;
    caret = S.step(data.text, caret, arrows[event.key], event.ctrlKey || event.altKey);
    if (anchor !== null && anchor !== caret) {
      gold.select(anchor, caret);
      announce(`Selected ${E.quoted(gold.quote(Math.min(anchor, caret), Math.max(anchor, caret)), 80)}`);
    } else {
      window.getSelection().removeAllRanges();
    }
    painter.setCaret(caret);
  });
  container.addEventListener("pointerdown", () => {
    caret = null;
    anchor = null;
    laneCaret = null;
    markLane();
    painter.setCaret(null);
  });
  container.addEventListener("blur", () => painter.setCaret(null));

  for (const button of root.querySelectorAll(".label-button")) {
    button.addEventListener("mousedown", (event) => event.preventDefault());
    button.addEventListener("click", () => applyLabel(Number(button.dataset.label)));
  }
  document.getElementById("all-lanes").addEventListener("change", recount);

  // The panel's forms go through the queue; without JavaScript they post (and
  // Mark gold asks for its confirmation with a required checkbox, which this
  // page replaces by asking when the button is pressed).
  root.querySelectorAll(".confirm-gold").forEach((element) => element.remove());
  for (const form of root.querySelectorAll("form[data-action]")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const action = form.dataset.action;
      if (action === "premerge") {
        premerge(form.querySelector('input[name="minimum"]').value);
      } else if (action === "accept-all") {
        acceptAll();
      } else if (action === "mark-gold") {
        if (goldStatus === "gold") {
          reopen();
        } else {
          markGold(form);
        }
      } else if (action === "reopen") {
        reopen();
      }
    });
  }

  const panel = document.getElementById("span-panel");
  const toggle = document.getElementById("panel-toggle");
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    panel.classList.toggle("open", open);
  });

  window.addEventListener("beforeunload", (event) => {
    if (queue.size) {
      event.preventDefault();
    }
  });

  S.rememberSnap(snapToggle);
  S.listenToEditorKeys({
    undo,
    escape: () => {
      window.getSelection().removeAllRanges();
      anchor = null;
      choose(null);
    },
    remove: () => (selected && selected.layer === "gold" ? rejectGold(selected) : false),
    labelByHotkey,
    applyLabel,
    keys: {
      a: () => acceptGold(selected),
      A: () => acceptAll(),
      e: () => moveSelected(),
      u: () => useSource(selected),
      ".": () => disputedStep(1),
      ",": () => disputedStep(-1),
      "]": () => goldStep(1),
      "[": () => goldStep(-1),
    },
  });

  // ---- start ----------------------------------------------------------------------------------

  painter.followViewport();
  lanePainters.forEach((lanePainter) => lanePainter.followViewport());
  const disputed = new Set(data.disputed);
  for (const [id, annotator, label, start, end] of data.sources) {
    const [start16, end16] = [offsets.toUtf16(start), offsets.toUtf16(end)];
    const span = store.add({ id, layer: "source", annotator, label, start: start16, end: end16, disputed: disputed.has(id) });
    lanePainters.get(annotator).paint(span);
  }
  for (const item of data.gold) {
    const span = store.add({ layer: "gold", label: item.label, start: 0, end: 0 });
    settle(span, item);
    span.incarnation = { id: item.id, refused: false };
    painter.paint(span);
  }
  list.render(store.ordered("gold"));
  recount();
  root.dataset.ready = "true";
})();
