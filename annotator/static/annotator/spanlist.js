// A list of spans beside the text, kept in reading order: one delegated handler
// for all its rows, not a form per span. Only the rows in (and just around) the
// panel's visible part exist in the DOM, each at its place in a list as tall as
// all of them: at 5,000 spans a list of elements cost every frame of the page
// its layout, paint and content-visibility checks. Rows have one fixed height.
// Only one row is a tab stop (roving tabindex); arrow keys, Home, End, Page Up
// and Page Down move between rows, so the list is one Tab away at any size; each
// row says its position (aria-posinset / aria-setsize) to assistive technology.
"use strict";

window.AnnotatorSpanList = (() => {
  const QUOTE_LENGTH = 120;
  const BUFFER_ROWS = 15;

  const escapeHtml = (text) => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

  class SpanList {
    // describe(span) -> {label: name, quote, extra?, className?}; removable(span)
    // says whether a row gets a delete button (named with `deleteLabel`).
    constructor(element, { describe, removable, deleteLabel = "Delete", emptyText, onChoose, onDelete, rowHeight = 36 }) {
      this.element = element;
      this.describe = describe;
      this.removable = removable;
      this.deleteLabel = deleteLabel;
      this.emptyText = emptyText;
      this.rowHeight = rowHeight;
      this.order = [];
      this.spans = new Map(); // key -> span, for the spans in order
      this.rows = new Map(); // key -> rendered <li>
      this.focusKey = null;
      this.scroller = element.closest(".span-panel") || document.scrollingElement;
      element.classList.add("virtual");
      element.addEventListener("click", (event) => {
        const remove = event.target.closest(".delete[data-key]");
        if (remove) {
          onDelete(remove.dataset.key);
          return;
        }
        const row = event.target.closest(".span-select[data-key]");
        if (row) {
          onChoose(row.dataset.key, { scroll: true });
        }
      });
      element.addEventListener("focusin", (event) => {
        const row = event.target.closest(".span-select[data-key]");
        if (row) {
          this.setFocusKey(row.dataset.key);
          onChoose(row.dataset.key, { scroll: true, fromList: true });
        }
      });
      element.addEventListener("keydown", (event) => this.onKey(event));
      let frame = 0;
      const follow = () => {
        cancelAnimationFrame(frame);
        frame = requestAnimationFrame(() => this.draw());
      };
      this.scroller.addEventListener("scroll", follow, { passive: true });
      window.addEventListener("scroll", follow, { passive: true });
      element.style.setProperty("--row-height", `${rowHeight}px`);
      window.addEventListener("resize", follow);
      new ResizeObserver(follow).observe(this.scroller);
    }

    html(span, position) {
      const { label, quote, extra = "", className = "" } = this.describe(span);
      const shown = quote.length > QUOTE_LENGTH ? `${quote.slice(0, QUOTE_LENGTH - 1)}…` : quote;
      const tab = span.key === this.focusKey ? "0" : "-1";
      const remove = this.removable(span)
        ? `<button type="button" class="delete" data-key="${span.key}" tabindex="-1" ` +
          `aria-label="${this.deleteLabel} ${escapeHtml(label)} span">&times;</button>`
        : "";
      return `<li class="span-item${className}" data-key="${span.key}" ` +
        `aria-posinset="${position + 1}" aria-setsize="${this.order.length}">` +
        `<button type="button" class="span-select label-${span.label}" data-key="${span.key}" tabindex="${tab}">` +
        `<span class="span-label label-sample">${escapeHtml(label)}</span> <q>${escapeHtml(shown)}</q>` +
        `${extra}</button>${remove}</li>`;
    }

    rowFor(span, position) {
      const holder = document.createElement("template");
      holder.innerHTML = this.html(span, position);
      return holder.content.firstElementChild;
    }

    // A span's place in the order by binary search, not a table of every place:
    // keeping such a table meant rewriting thousands of entries on each insert.
    // A span whose label or offsets changed since it was placed is searched for.
    positionOf(key) {
      const span = this.spans.get(key);
      if (!span) {
        return undefined;
      }
      const position = this.position(span);
      return this.order[position] === span ? position : this.order.indexOf(span);
    }

    render(spans) {
      this.order = spans.slice();
      this.spans = new Map(this.order.map((span) => [span.key, span]));
      if (!this.focusKey || !this.spans.has(this.focusKey)) {
        this.focusKey = this.order.length ? this.order[0].key : null;
      }
      this.element.replaceChildren();
      this.rows = new Map();
      this.draw();
    }

    // Which rows should exist: those in view, a few around them, and the row
    // that holds the list's tab stop.
    visibleRange() {
      const list = this.element.getBoundingClientRect();
      const port = this.scroller === document.scrollingElement
        ? { top: 0, bottom: window.innerHeight }
        : this.scroller.getBoundingClientRect();
      const top = Math.max(port.top, 0) - list.top;
      const bottom = Math.min(port.bottom, window.innerHeight) - list.top;
      const first = Math.max(0, Math.floor(top / this.rowHeight) - BUFFER_ROWS);
      const last = Math.min(this.order.length, Math.ceil(bottom / this.rowHeight) + BUFFER_ROWS);
      return [first, Math.max(first, last)];
    }

    draw() {
      const element = this.element;
      if (!this.order.length) {
        element.style.height = "";
        element.innerHTML = `<li class="muted empty">${escapeHtml(this.emptyText)}</li>`;
        this.rows = new Map();
        return;
      }
      element.querySelector(":scope > .empty")?.remove();
      element.style.height = `${this.order.length * this.rowHeight}px`;
      const [first, last] = this.visibleRange();
      const wanted = new Map(); // key -> position
      for (let position = first; position < last; position += 1) {
        wanted.set(this.order[position].key, position);
      }
      if (this.focusKey && this.spans.has(this.focusKey) && !wanted.has(this.focusKey)) {
        wanted.set(this.focusKey, this.positionOf(this.focusKey));
      }
      for (const [key, row] of this.rows) {
        if (!wanted.has(key) && !row.contains(document.activeElement)) {
          row.remove();
          this.rows.delete(key);
        }
      }
      // In document order, so assistive technology reads the rows in order.
      let before = null;
      const placed = Array.from(wanted).sort((a, b) => b[1] - a[1]);
      for (const [key, position] of placed) {
        let row = this.rows.get(key);
        if (!row) {
          row = this.rowFor(this.order[position], position);
          if (key === this.selectedKey) {
            row.querySelector(".span-select").classList.add("selected");
          }
          this.rows.set(key, row);
          element.insertBefore(row, before);
        } else if (row.nextElementSibling !== before) {
          element.insertBefore(row, before);
        }
        row.style.top = `${position * this.rowHeight}px`;
        row.setAttribute("aria-posinset", String(position + 1));
        row.setAttribute("aria-setsize", String(this.order.length));
        before = row;
      }
    }

    position(span) {
      let low = 0;
      let high = this.order.length;
      while (low < high) {
        const middle = (low + high) >> 1;
        if (AnnotatorEngine.compareSpans(this.order[middle], span) < 0) {
          low = middle + 1;
        } else {
          high = middle;
        }
      }
      return low;
    }

    insert(span) {
      if (this.spans.has(span.key)) {
        this.update(span);
        return;
      }
      this.order.splice(this.position(span), 0, span);
      this.spans.set(span.key, span);
      if (!this.focusKey) {
        this.focusKey = span.key;
      }
      this.draw();
    }

    remove(span) {
      if (!this.spans.has(span.key)) {
        return;
      }
      const position = this.positionOf(span.key);
      const row = this.rows.get(span.key);
      const hadFocus = Boolean(row && row.contains(document.activeElement));
      this.order.splice(position, 1);
      this.spans.delete(span.key);
      if (row) {
        row.remove();
        this.rows.delete(span.key);
      }
      if (this.focusKey === span.key) {
        const neighbour = this.order[Math.min(position, this.order.length - 1)];
        this.focusKey = neighbour ? neighbour.key : null;
      }
      this.draw();
      if (hadFocus && this.focusKey) {
        this.focusRow(this.focusKey);
      }
    }

    // Label, offsets or state changed: the row is rebuilt in its new place.
    update(span) {
      if (!this.spans.has(span.key)) {
        return;
      }
      const row = this.rows.get(span.key);
      const hadFocus = Boolean(row && row.contains(document.activeElement));
      this.order.splice(this.positionOf(span.key), 1);
      const target = this.position(span);
      this.order.splice(target, 0, span);
      if (row) {
        const fresh = this.rowFor(span, target);
        row.replaceWith(fresh);
        this.rows.set(span.key, fresh);
      }
      this.draw();
      if (hadFocus) {
        this.focusRow(span.key);
      }
    }

    setFocusKey(key) {
      const previous = this.focusKey && this.rows.get(this.focusKey);
      if (previous) {
        previous.querySelector(".span-select").tabIndex = -1;
      }
      this.focusKey = key;
      const row = key && this.rows.get(key);
      if (row) {
        row.querySelector(".span-select").tabIndex = 0;
      }
    }

    // Scrolls the panel so the row is in view (it then exists).
    reveal(key) {
      const position = this.positionOf(key);
      if (position === undefined) {
        return;
      }
      const list = this.element.getBoundingClientRect();
      const port = this.scroller.getBoundingClientRect();
      const rowTop = list.top + position * this.rowHeight;
      const top = Math.max(port.top, 0);
      const bottom = Math.min(port.bottom, window.innerHeight);
      if (rowTop < top || rowTop + this.rowHeight > bottom) {
        const before = this.scroller.scrollTop;
        this.scroller.scrollTop += rowTop - top - (bottom - top) / 3;
        if (this.scroller.scrollTop === before) {
          window.scrollBy(0, rowTop - top - (bottom - top) / 3);
        }
      }
      this.draw();
    }

    focusRow(key) {
      this.setFocusKey(key);
      this.reveal(key);
      const row = this.rows.get(key);
      if (row) {
        row.querySelector(".span-select").focus({ preventScroll: true });
      }
    }

    mark(key) {
      for (const button of this.element.querySelectorAll(".span-select.selected")) {
        button.classList.remove("selected");
      }
      this.selectedKey = key;
      if (key && this.spans.has(key)) {
        this.setFocusKey(key);
        this.reveal(key);
        const row = this.rows.get(key);
        if (row) {
          row.querySelector(".span-select").classList.add("selected");
        }
      }
    }

    onKey(event) {
      const page = Math.max(1, Math.floor(this.scroller.clientHeight / this.rowHeight) - 1);
      const moves = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page, Home: -Infinity, End: Infinity };
      if (!(event.key in moves) || !event.target.closest(".span-select")) {
        return;
      }
      event.preventDefault();
      const from = this.positionOf(event.target.dataset.key) ?? 0;
      const move = moves[event.key];
      const target = Number.isFinite(move) ? from + move : move < 0 ? 0 : this.order.length - 1;
      const span = this.order[Math.min(Math.max(target, 0), this.order.length - 1)];
      if (span) {
        this.focusRow(span.key);
      }
    }

    get length() {
      return this.order.length;
    }
  }

  return { SpanList, escapeHtml };
})();
