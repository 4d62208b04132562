// The page engine of the annotate and adjudicate pages: spans as data, painted
// by the browser, written to the server in order, undone exactly.
//
//   SpanStore   every span the page shows, keyed by a local key that never
//               changes (the server id arrives later, or changes when a deleted
//               span is created again). A span: {key, id, layer, label, start,
//               end (UTF-16), status, ...}. `layer` says whose it is: "own"
//               (annotate), "gold", "source" (an annotator's, adjudication).
//   Painter     one CSS Custom Highlight per label ("label-<id>") and per state
//               ("pending", "proposed") over the untouched text nodes of a
//               TextView (selection.js); an overlay (absolutely positioned,
//               aria-hidden, no pointer events) draws what highlights cannot:
//               the selected span's outline and label tag, the keyboard caret,
//               the label tags of the span under the pointer.
//   WriteQueue  one write in flight at a time, in the order they were made; a
//               write builds its request when it is sent, so it can name a span
//               whose id an earlier write returned. Network and 5xx failures
//               are retried with the same body (a create keeps its client_id);
//               a refusal (4xx) undoes the write's optimistic change and says why.
//   UndoLog     entries made when the person acts, each bound to the span it
//               changed (by object, not by "whatever is on top"): undo is exact
//               whatever order the answers come back in.
//   Notices     float over the page next to where the person works: never in
//               the flow, so a save never moves the text.
//
// Extension points for later work:
// * Relations (issue 14, annotate.js): SpanStore.relations holds {key, id,
//   from, to, type, source, target} with `from`/`to` span keys and the span
//   objects; Painter.showLinks outlines both ends of the relations shown, draws
//   a line between them and the candidate target while one is picked (redrawn
//   with the rest of the overlay by Painter.refresh). A relation write is a
//   WriteQueue write and an UndoLog entry like any other.
// * Suggestions (issue 16, annotate.js): spans with layer "suggestion" and a
//   `source`, painted only with the "suggested" highlight (a dashed underline,
//   no label colour, so they never pass for the annotator's own spans) and
//   outlined dashed when selected; their tags name the source. Excluded from
//   the own-span list; accept = a write that makes the span, reject = removal,
//   each an UndoLog entry.
"use strict";

window.AnnotatorEngine = (() => {
  const RETRY_DELAYS_MS = [1000, 2000, 4000, 8000, 15000, 30000];
  const SUPPORTS_HIGHLIGHTS = Boolean(window.CSS && CSS.highlights && window.Highlight);
  // One Highlight per name for the whole page: painters of several views (the
  // gold text and each annotator's lane) add their ranges to the same ones.
  const REGISTRY = new Map();

  // ---- data ------------------------------------------------------------------

  class SpanStore {
    constructor() {
      this.spans = new Map();
      this.relations = new Map();
      this.nextKey = 1;
    }

    add(fields) {
      // attrs: attribute id -> value (annotate.js)
      const span = { key: `s${this.nextKey++}`, id: null, status: "saved", attrs: new Map(), ...fields };
      this.spans.set(span.key, span);
      return span;
    }

    get(key) {
      return this.spans.get(key);
    }

    byId(layer, id) {
      for (const span of this.spans.values()) {
        if (span.layer === layer && span.id === id) {
          return span;
        }
      }
      return null;
    }

    remove(span) {
      this.spans.delete(span.key);
    }

    has(span) {
      return this.spans.get(span.key) === span;
    }

    // In reading order: by start, longer first, then label and id.
    ordered(layer) {
      return Array.from(this.spans.values())
        .filter((span) => span.layer === layer)
        .sort(compareSpans);
    }

    covering(layer, offset) {
      const found = [];
      for (const span of this.spans.values()) {
        if (span.layer === layer && span.start <= offset && offset < span.end) {
          found.push(span);
        }
      }
      return found.sort((a, b) => (b.start - a.start) || (a.end - b.end));
    }

    find(layer, label, start, end) {
      for (const span of this.spans.values()) {
        if (span.layer === layer && span.label === label && span.start === start && span.end === end) {
          return span;
        }
      }
      return null;
    }
  }

  function compareSpans(a, b) {
    if (a === b) {
      return 0; // else the key comparison below puts a span after itself
    }
    return (a.start - b.start) || (b.end - a.end) || (a.label - b.label) ||
      ((a.id || Infinity) - (b.id || Infinity)) || (a.key < b.key ? -1 : 1);
  }

  // ---- painting --------------------------------------------------------------

  class Painter {
    constructor(view, overlayHost, { labelNames }) {
      this.view = view;
      this.labelNames = labelNames;
      this.ranges = new Map(); // span key -> {names, ranges}
      this.highlights = REGISTRY;
      this.overlay = document.createElement("div");
      this.overlay.className = "overlay";
      this.overlay.setAttribute("aria-hidden", "true");
      overlayHost.append(this.overlay);
      this.host = overlayHost;
      this.marks = { selected: [], caret: [], hover: [], links: [] };
      this.selected = null;
      this.links = []; // [{source, target, name}] of spans: relations to show
      this.picking = null; // {span, text}: the candidate target of a relation being made
      this.caret = null;
      this.window = null; // [start, end) UTF-16 of the spans registered; null: all
      new ResizeObserver(() => this.refresh()).observe(overlayHost);
    }

    highlight(name) {
      let highlight = this.highlights.get(name);
      if (!highlight && SUPPORTS_HIGHLIGHTS) {
        highlight = new Highlight();
        CSS.highlights.set(name, highlight);
        this.highlights.set(name, highlight);
      }
      return highlight;
    }

    // Which highlights show a span: its label's, and one per state it is in.
    namesFor(span) {
      if (span.layer === "suggestion") {
        return ["suggested"];
      }
      const names = [`label-${span.label}`];
      if (span.status === "pending" || span.status === "deleting") {
        names.push("pending");
      }
      if (span.state) {
        names.push(span.state);
      }
      return names;
    }

    // Chromium revalidates every range of every registered highlight whenever
    // the page changes (any DOM mutation, not only ours): at 5,000 ranges that
    // is tens of milliseconds per frame, and painting grows with the ranges
    // registered. So only spans in the viewport are registered (a margin of a
    // screen, or even 100 px, made a create at 5,000 spans paint 1.4 to 2 times
    // slower); scrolling moves the window before the frame is drawn.
    paint(span) {
      this.erase(span);
      const entry = {
        names: this.namesFor(span),
        ranges: this.view.rangesFor(span.start, span.end),
        start: span.start,
        end: span.end,
        shown: false,
      };
      this.ranges.set(span.key, entry);
      if (this.inWindow(entry)) {
        this.attach(entry);
      }
      if (this.selected === span) {
        this.refresh();
      }
    }

    erase(span) {
      const entry = this.ranges.get(span.key);
      if (!entry) {
        return;
      }
      this.detach(entry);
      this.ranges.delete(span.key);
    }

    attach(entry) {
      for (const name of entry.names) {
        const highlight = this.highlight(name);
        if (highlight) {
          entry.ranges.forEach((range) => highlight.add(range));
        }
      }
      entry.shown = true;
    }

    detach(entry) {
      if (!entry.shown) {
        return;
      }
      for (const name of entry.names) {
        const highlight = this.highlights.get(name);
        if (highlight) {
          entry.ranges.forEach((range) => highlight.delete(range));
        }
      }
      entry.shown = false;
    }

    inWindow(entry) {
      return !this.window || (entry.start < this.window[1] && this.window[0] <= entry.end);
    }

    setWindow(start, end) {
      if (this.window && this.window[0] === start && this.window[1] === end) {
        return;
      }
      this.window = [start, end];
      for (const entry of this.ranges.values()) {
        const wanted = this.inWindow(entry);
        if (wanted && !entry.shown) {
          this.attach(entry);
        } else if (!wanted && entry.shown) {
          this.detach(entry);
        }
      }
    }

    // Keeps the window on the viewport: at once on scroll (scroll events run
    // before the frame is drawn), on resize and when the text's box changes.
    followViewport() {
      const update = () => {
        this.setWindow(this.view.offsetAtY(0), this.view.offsetAtY(window.innerHeight));
      };
      window.addEventListener("scroll", update, { passive: true });
      window.addEventListener("resize", update);
      new ResizeObserver(update).observe(this.host);
      update();
      this.updateWindow = update;
    }

    // ---- overlay: positions relative to the host, which is position: relative

    box(rect, className) {
      const host = this.host.getBoundingClientRect();
      const element = document.createElement("div");
      element.className = className;
      element.style.left = `${rect.left - host.left}px`;
      element.style.top = `${rect.top - host.top}px`;
      element.style.width = `${rect.width}px`;
      element.style.height = `${rect.height}px`;
      this.overlay.append(element);
      return element;
    }

    tag(rect, text, className) {
      const host = this.host.getBoundingClientRect();
      const element = document.createElement("span");
      element.className = `tag ${className}`;
      element.textContent = text;
      element.style.left = `${rect.left - host.left}px`;
      element.style.top = `${rect.top - host.top}px`;
      this.overlay.append(element);
      return element;
    }

    clear(kind) {
      this.marks[kind].forEach((element) => element.remove());
      this.marks[kind] = [];
    }

    select(span) {
      this.selected = span;
      this.refresh();
    }

    setCaret(offset) {
      this.caret = offset;
      this.refresh();
    }

    // Show relations: both ends outlined, a line between them, the type named
    // at the target; and the candidate while a relation's target is picked.
    showLinks(links, picking = null) {
      this.links = links;
      this.picking = picking;
      this.refresh();
    }

    drawLinks() {
      this.clear("links");
      if (!this.overlay.isConnected) {
        return;
      }
      const marks = this.marks.links;
      for (const { source, target, name } of this.links) {
        const from = this.view.rectsFor(source.start, source.end);
        const to = this.view.rectsFor(target.start, target.end);
        from.forEach((rect) => marks.push(this.box(rect, "link-end link-source")));
        to.forEach((rect) => marks.push(this.box(rect, "link-end link-target")));
        if (from.length && to.length) {
          marks.push(this.line(from[0], to[0]));
          marks.push(this.tag(to[0], `← ${name}`, "tag-link"));
        }
      }
      if (this.picking) {
        const rects = this.view.rectsFor(this.picking.span.start, this.picking.span.end);
        rects.forEach((rect) => marks.push(this.box(rect, "pick-box")));
        if (rects.length) {
          marks.push(this.tag(rects[0], this.picking.text, "tag-pick"));
        }
      }
    }

    // A straight connector from the middle of one box to the middle of another.
    line(from, to) {
      const host = this.host.getBoundingClientRect();
      const x1 = from.left + from.width / 2 - host.left;
      const y1 = from.top + from.height / 2 - host.top;
      const x2 = to.left + to.width / 2 - host.left;
      const y2 = to.top + to.height / 2 - host.top;
      const element = document.createElement("div");
      element.className = "link-line";
      element.style.left = `${x1}px`;
      element.style.top = `${y1}px`;
      element.style.width = `${Math.hypot(x2 - x1, y2 - y1)}px`;
      element.style.transform = `rotate(${Math.atan2(y2 - y1, x2 - x1)}rad)`;
      this.overlay.append(element);
      return element;
    }

    refresh() {
      this.clear("selected");
      this.clear("caret");
      this.drawLinks();
      if (this.selected && this.ranges.has(this.selected.key) && this.overlay.isConnected) {
        const rects = this.view.rectsFor(this.selected.start, this.selected.end);
        const boxClass = this.selected.layer === "suggestion" ? "selected-box suggested-box" : "selected-box";
        this.marks.selected = rects.map((rect) => this.box(rect, boxClass));
        if (rects.length) {
          this.marks.selected.push(
            this.tag(rects[0], this.describe(this.selected), `tag-selected label-${this.selected.label}`),
          );
        }
      }
      if (this.caret !== null) {
        const rect = this.view.caretRect(this.caret);
        if (rect) {
          this.marks.caret.push(this.box({ ...rect, width: 2 }, "caret"));
        }
      }
    }

    describe(span) {
      if (span.layer === "suggestion") {
        return `${this.labelNames.get(span.label) || "label"} (suggested by ${sourceName(span.source)})`;
      }
      const state = span.status === "pending" ? " (saving)" : span.state === "proposed" ? " (proposed)" : "";
      return `${this.labelNames.get(span.label) || "label"}${state}`;
    }

    // Label tags of the spans under the pointer, innermost last.
    hover(spans, rect) {
      this.clear("hover");
      if (!spans.length || !rect) {
        return;
      }
      const text = spans.map((span) => this.describe(span)).join(" › ");
      this.marks.hover.push(this.tag(rect, text, "tag-hover"));
    }
  }

  // ---- notices ---------------------------------------------------------------

  class Notices {
    constructor(container) {
      this.container = container;
      this.anchor = null;
    }

    // Float the notices under `rect` (viewport coordinates), in the page's
    // coordinates so they stay by the text when it scrolls.
    placeNear(rect) {
      this.anchor = rect;
      this.position();
    }

    position() {
      const container = this.container;
      if (!this.anchor) {
        container.classList.add("docked");
        return;
      }
      container.classList.remove("docked");
      const width = Math.min(container.offsetWidth || 360, window.innerWidth - 16);
      const left = Math.min(Math.max(this.anchor.left, 8), window.innerWidth - width - 8);
      const below = this.anchor.bottom + 8;
      const top = below + 80 < window.innerHeight ? below : Math.max(this.anchor.top - 88, 8);
      container.style.left = `${left + window.scrollX}px`;
      container.style.top = `${top + window.scrollY}px`;
    }

    // kind: "saving", "unsaved" (will be retried), "refused", "info".
    show(text, kind, actions = [], timeoutMs = 0) {
      const item = document.createElement("div");
      const message = document.createElement("span");
      message.className = "message";
      item.append(message);
      const handle = {
        element: item,
        update: (newText, newKind, newActions = [], newTimeoutMs = 0) => {
          item.className = `notice ${newKind}`;
          item.setAttribute("role", newKind === "unsaved" || newKind === "refused" ? "alert" : "status");
          message.textContent = newText;
          item.querySelectorAll("button").forEach((button) => button.remove());
          for (const { label, run } of newActions) {
            const button = document.createElement("button");
            button.type = "button";
            button.textContent = label;
            button.addEventListener("click", () => run(handle));
            item.append(button);
          }
          clearTimeout(handle.timer);
          if (newTimeoutMs) {
            handle.timer = setTimeout(handle.close, newTimeoutMs);
          }
          this.position();
        },
        close: () => {
          clearTimeout(handle.timer);
          item.remove();
        },
      };
      this.container.append(item);
      handle.update(text, kind, actions, timeoutMs);
      return handle;
    }
  }

  // ---- writing ---------------------------------------------------------------

  class WriteQueue {
    // `status`: an element whose data-writes says how many writes wait (tests
    // and the benchmark read it; 0 means everything the page shows is saved).
    constructor({ csrfToken, notices, status }) {
      this.csrfToken = csrfToken;
      this.notices = notices;
      this.status = status;
      this.writes = [];
      this.running = false;
      this.idleWaiters = [];
    }

    get size() {
      return this.writes.length;
    }

    // write: {describe(), request() -> {url, values} | null (nothing left to
    // do), applied(answer), refused(message), slowAfterMs?}
    push(write) {
      this.writes.push(write);
      this.status.dataset.writes = String(this.writes.length);
      if (!this.running) {
        this.run();
      }
    }

    whenIdle() {
      return this.writes.length ? new Promise((resolve) => this.idleWaiters.push(resolve)) : Promise.resolve();
    }

    async run() {
      this.running = true;
      while (this.writes.length) {
        const write = this.writes[0];
        await this.send(write);
        this.writes.shift();
        this.status.dataset.writes = String(this.writes.length);
      }
      this.running = false;
      this.idleWaiters.splice(0).forEach((resolve) => resolve());
    }

    async send(write) {
      const request = write.request();
      if (!request) {
        return;
      }
      let attempt = 0;
      let notice = null;
      // A slow save says so; a quick one shows nothing but the pending paint.
      const slow = setTimeout(() => {
        notice = this.notices.show(`Saving ${write.describe()}…`, "saving");
      }, write.slowAfterMs ?? 1500);
      try {
        for (;;) {
          const outcome = await this.attempt(request);
          if (outcome.ok) {
            write.applied(outcome.answer);
            return;
          }
          if (!outcome.retry) {
            write.refused(outcome.reason);
            return;
          }
          clearTimeout(slow);
          const delay = RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length - 1)];
          attempt += 1;
          const text = `Not saved yet: ${write.describe()}. ${outcome.reason}. ` +
            `Trying again in ${Math.round(delay / 1000)} s; your later changes wait for it.`;
          const retried = await new Promise((resolve) => {
            const timer = setTimeout(() => resolve(true), delay);
            const actions = [
              { label: "Retry now", run: () => { clearTimeout(timer); resolve(true); } },
              { label: "Discard", run: () => { clearTimeout(timer); resolve(false); } },
            ];
            if (notice) {
              notice.update(text, "unsaved", actions);
            } else {
              notice = this.notices.show(text, "unsaved", actions);
            }
          });
          if (!retried) {
            write.refused(null);
            return;
          }
          notice.update(`Saving ${write.describe()}…`, "saving");
        }
      } finally {
        clearTimeout(slow);
        if (notice) {
          notice.close();
        }
      }
    }

    async attempt({ url, values }) {
      let response;
      try {
        response = await fetch(url, {
          method: "POST",
          body: new URLSearchParams(values),
          headers: { Accept: "application/json", "X-CSRFToken": this.csrfToken },
          credentials: "same-origin",
        });
      } catch (error) {
        return { ok: false, retry: true, reason: "The server could not be reached" };
      }
      if (response.ok) {
        return { ok: true, answer: await response.json() };
      }
      if (response.status >= 500 || response.status === 429) {
        return { ok: false, retry: true, reason: `The server answered ${response.status}` };
      }
      let reason = `The server refused it (${response.status})`;
      try {
        const answer = await response.clone().json();
        reason = answer.error || reason;
      } catch (error) {
        const body = (await response.text()).trim();
        if (body && body.length < 300 && !body.startsWith("<")) {
          reason = body;
        }
      }
      return { ok: false, retry: false, reason };
    }
  }

  // ---- undo ------------------------------------------------------------------

  class UndoLog {
    constructor() {
      this.entries = [];
    }

    // entry: {undo(), valid()}: valid() is false once the change it would undo
    // was refused by the server, so undo never reverts what never happened.
    push(entry) {
      this.entries.push(entry);
    }

    pop() {
      while (this.entries.length) {
        const entry = this.entries.pop();
        if (!entry.valid || entry.valid()) {
          return entry;
        }
      }
      return null;
    }
  }

  // ---- helpers shared by the pages ------------------------------------------

  function newClientId() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function urlFor(template, id) {
    return template.replace("/0/", `/${id}/`);
  }

  // A suggestion's source as people read it: "string match", "model:ner@2", "import:ner-v3".
  function sourceName(source) {
    return source === "string-match" ? "string match" : source;
  }

  function quoted(text, limit = 60) {
    const clean = text.replace(/\s+/g, " ");
    return `“${clean.length > limit ? `${clean.slice(0, limit - 1)}…` : clean}”`;
  }

  function csrfToken() {
    return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
  }

  // Screen readers hear what the highlights show.
  function announcer() {
    const element = document.getElementById("announcer");
    let timer = null;
    return (text) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        element.textContent = text;
      }, 250);
    };
  }

  return {
    SUPPORTS_HIGHLIGHTS, SpanStore, Painter, Notices, WriteQueue, UndoLog,
    compareSpans, newClientId, urlFor, quoted, sourceName, csrfToken, announcer,
  };
})();
