// A list of spans beside the text, kept in reading order and changed one row at
// a time: one delegated handler for all its rows, not a form per span. Only one
// row is a tab stop (roving tabindex); arrow keys, Home and End move between
// rows, so a keyboard user reaches the list in one Tab at 5,000 spans.
"use strict";

window.AnnotatorSpanList = (() => {
  const QUOTE_LENGTH = 120;

  const escapeHtml = (text) => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

  class SpanList {
    // describe(span) -> {label: name, quote, extra?}; `removable(span)` says
    // whether a row gets a delete button (with `deleteLabel`).
    constructor(element, { describe, removable, deleteLabel = "Delete", emptyText, onChoose, onDelete }) {
      this.element = element;
      this.describe = describe;
      this.removable = removable;
      this.deleteLabel = deleteLabel;
      this.emptyText = emptyText;
      this.order = [];
      this.rows = new Map();
      this.focusKey = null;
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
    }

    html(span) {
      const { label, quote, extra = "", className = "" } = this.describe(span);
      const shown = quote.length > QUOTE_LENGTH ? `${quote.slice(0, QUOTE_LENGTH - 1)}…` : quote;
      const tab = span.key === this.focusKey ? "0" : "-1";
      const remove = this.removable(span)
        ? `<button type="button" class="delete" data-key="${span.key}" tabindex="-1" ` +
          `aria-label="${this.deleteLabel} ${escapeHtml(label)} span">&times;</button>`
        : "";
      return `<li class="span-item${className}" data-key="${span.key}">` +
        `<button type="button" class="span-select label-${span.label}" data-key="${span.key}" tabindex="${tab}">` +
        `<span class="span-label label-sample">${escapeHtml(label)}</span> <q>${escapeHtml(shown)}</q>` +
        `${extra}</button>${remove}</li>`;
    }

    render(spans) {
      this.order = spans.slice();
      if (!this.focusKey || !this.order.some((span) => span.key === this.focusKey)) {
        this.focusKey = this.order.length ? this.order[0].key : null;
      }
      this.element.innerHTML = this.order.length
        ? this.order.map((span) => this.html(span)).join("")
        : `<li class="muted empty">${escapeHtml(this.emptyText)}</li>`;
      this.rows = new Map();
      for (const row of this.element.children) {
        if (row.dataset.key) {
          this.rows.set(row.dataset.key, row);
        }
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

    rowFor(span) {
      const holder = document.createElement("template");
      holder.innerHTML = this.html(span);
      return holder.content.firstElementChild;
    }

    insert(span) {
      if (this.rows.has(span.key)) {
        this.update(span);
        return;
      }
      if (!this.order.length) {
        this.element.replaceChildren();
      }
      const index = this.position(span);
      const row = this.rowFor(span);
      const next = this.order[index];
      this.element.insertBefore(row, next ? this.rows.get(next.key) : null);
      this.order.splice(index, 0, span);
      this.rows.set(span.key, row);
      if (!this.focusKey) {
        this.setFocusKey(span.key);
      }
    }

    remove(span) {
      const row = this.rows.get(span.key);
      if (!row) {
        return;
      }
      const index = this.order.indexOf(span);
      const hadFocus = row.contains(document.activeElement);
      this.order.splice(index, 1);
      this.rows.delete(span.key);
      row.remove();
      if (this.focusKey === span.key) {
        const neighbour = this.order[Math.min(index, this.order.length - 1)];
        this.setFocusKey(neighbour ? neighbour.key : null);
        if (hadFocus && neighbour) {
          this.rows.get(neighbour.key).querySelector(".span-select").focus({ preventScroll: true });
        }
      }
      if (!this.order.length) {
        this.render([]);
      }
    }

    // Label, offsets or state changed: the row is rebuilt in its new place.
    update(span) {
      const row = this.rows.get(span.key);
      if (!row) {
        return;
      }
      const hadFocus = row.contains(document.activeElement);
      const index = this.order.indexOf(span);
      this.order.splice(index, 1);
      this.rows.delete(span.key);
      row.remove();
      this.insert(span);
      if (hadFocus) {
        this.rows.get(span.key).querySelector(".span-select").focus({ preventScroll: true });
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

    mark(key) {
      for (const row of this.element.querySelectorAll(".selected")) {
        row.classList.remove("selected");
      }
      const row = key && this.rows.get(key);
      if (row) {
        row.querySelector(".span-select").classList.add("selected");
        this.setFocusKey(key);
        row.scrollIntoView({ block: "nearest" });
      }
    }

    onKey(event) {
      const moves = { ArrowDown: 1, ArrowUp: -1, Home: -Infinity, End: Infinity };
      if (!(event.key in moves) || !event.target.closest(".span-select")) {
        return;
      }
      event.preventDefault();
      const index = this.order.findIndex((span) => span.key === event.target.dataset.key);
      const move = moves[event.key];
      const target = Math.min(Math.max(Number.isFinite(move) ? index + move : move < 0 ? 0 : this.order.length - 1, 0),
        this.order.length - 1);
      const span = this.order[target];
      if (span) {
        this.setFocusKey(span.key);
        this.rows.get(span.key).querySelector(".span-select").focus();
      }
    }

    get length() {
      return this.order.length;
    }
  }

  return { SpanList, escapeHtml };
})();
