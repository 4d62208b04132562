// Text, offsets and selection, shared by the annotate and adjudicate pages.
//
// The server counts Python code points, half-open [start, end); the browser
// counts UTF-16 code units. The conversion happens here, in offsetsOf, and
// nowhere else: the pages convert a span once when it arrives (code points ->
// UTF-16) and once when it leaves (UTF-16 -> code points).
//
// A TextView is the document text as the page shows it: one or more blocks,
// each an element holding exactly one text node that nothing ever changes,
// with the UTF-16 offset at which the block starts in the document. The
// annotate page has one block, the adjudication page one per paragraph (with
// the annotators' lanes between them, which are not part of the text).
"use strict";

window.AnnotatorSelection = (() => {
  const WORD_CHARACTER = /[\p{L}\p{N}\p{M}_]/u;
  const SURROGATE_PAIR = /[\ud800-\udbff][\udc00-\udfff]/;

  // Conversion both ways over one text; identity (no tables) when the text has
  // nothing outside the Basic Multilingual Plane, which is most news.
  function offsetsOf(text) {
    if (!SURROGATE_PAIR.test(text)) {
      return { toUtf16: (point) => point, toCodePoint: (unit) => unit };
    }
    const utf16Of = [];
    const pointOf = new Uint32Array(text.length + 1);
    let point = 0;
    for (let unit = 0; unit < text.length; point += 1) {
      utf16Of.push(unit);
      pointOf[unit] = point;
      const code = text.charCodeAt(unit);
      const pair = code >= 0xd800 && code <= 0xdbff && unit + 1 < text.length &&
        text.charCodeAt(unit + 1) >= 0xdc00 && text.charCodeAt(unit + 1) <= 0xdfff;
      if (pair) {
        pointOf[unit + 1] = point + 1; // inside a pair: count it as after the pair
        unit += 2;
      } else {
        unit += 1;
      }
    }
    utf16Of.push(text.length);
    pointOf[text.length] = point;
    return { toUtf16: (codePoint) => utf16Of[codePoint], toCodePoint: (unit) => pointOf[unit] };
  }

  // ---- words ---------------------------------------------------------------

  function codePointAt(text, index) {
    const point = text.codePointAt(index);
    return { character: String.fromCodePoint(point), width: point > 0xffff ? 2 : 1 };
  }

  function codePointBefore(text, index) {
    const low = text.charCodeAt(index - 1);
    if (index >= 2 && low >= 0xdc00 && low <= 0xdfff) {
      const high = text.charCodeAt(index - 2);
      if (high >= 0xd800 && high <= 0xdbff) {
        return { character: text.slice(index - 2, index), width: 2 };
      }
    }
    return { character: text.charAt(index - 1), width: 1 };
  }

  const isWord = (character) => WORD_CHARACTER.test(character);

  function snapToWords(text, start, end) {
    while (start > 0 && start < text.length &&
           isWord(codePointAt(text, start).character) &&
           isWord(codePointBefore(text, start).character)) {
      start -= codePointBefore(text, start).width;
    }
    while (end < text.length && end > 0 &&
           isWord(codePointBefore(text, end).character) &&
           isWord(codePointAt(text, end).character)) {
      end += codePointAt(text, end).width;
    }
    return [start, end];
  }

  // The server trims whitespace off both ends; doing it here too paints the
  // span where it will be stored.
  function trim(text, start, end) {
    while (start < end && /\s/.test(text[start])) {
      start += 1;
    }
    while (end > start && /\s/.test(text[end - 1])) {
      end -= 1;
    }
    return [start, end];
  }

  // Caret moves: one code point, or to the next word's end / this word's start.
  function step(text, offset, direction, byWord) {
    if (!byWord) {
      if (direction > 0) {
        return offset < text.length ? offset + codePointAt(text, offset).width : offset;
      }
      return offset > 0 ? offset - codePointBefore(text, offset).width : offset;
    }
    if (direction > 0) {
      while (offset < text.length && !isWord(codePointAt(text, offset).character)) {
        offset += codePointAt(text, offset).width;
      }
      while (offset < text.length && isWord(codePointAt(text, offset).character)) {
        offset += codePointAt(text, offset).width;
      }
      return offset;
    }
    while (offset > 0 && !isWord(codePointBefore(text, offset).character)) {
      offset -= codePointBefore(text, offset).width;
    }
    while (offset > 0 && isWord(codePointBefore(text, offset).character)) {
      offset -= codePointBefore(text, offset).width;
    }
    return offset;
  }

  // ---- the text as shown ---------------------------------------------------

  class TextView {
    // `text`: the whole document text; `blocks`: [{element, start}] in document
    // order, `start` in UTF-16 units; each element holds one text node.
    constructor(text, blocks) {
      this.text = text;
      this.offsets = offsetsOf(text);
      this.blocks = blocks.map(({ element, start }) => ({
        element,
        node: element.firstChild || element.appendChild(document.createTextNode("")),
        start,
        end: start + (element.firstChild ? element.firstChild.length : 0),
      }));
      this.blockOf = new Map(this.blocks.map((block) => [block.element, block]));
    }

    // StaticRanges covering [start, end) in UTF-16, one per block it crosses:
    // a range spanning two blocks would also paint whatever lies between them.
    rangesFor(start, end) {
      const ranges = [];
      for (const block of this.blocks) {
        if (block.end <= start) {
          continue;
        }
        if (block.start >= end) {
          break;
        }
        const from = Math.max(start, block.start) - block.start;
        const to = Math.min(end, block.end) - block.start;
        if (from < to) {
          ranges.push(new StaticRange({
            startContainer: block.node, startOffset: from, endContainer: block.node, endOffset: to,
          }));
        }
      }
      return ranges;
    }

    // A live Range for measuring (StaticRange has no geometry).
    measuringRange(start, end) {
      const pieces = this.rangesFor(start, end);
      return pieces.map((piece) => {
        const range = document.createRange();
        range.setStart(piece.startContainer, piece.startOffset);
        range.setEnd(piece.endContainer, piece.endOffset);
        return range;
      });
    }

    rectsFor(start, end) {
      return this.measuringRange(start, end).flatMap((range) => Array.from(range.getClientRects()));
    }

    caretRect(offset) {
      const block = this.blocks.find((item) => offset >= item.start && offset <= item.end);
      if (!block) {
        return null;
      }
      const range = document.createRange();
      const inner = offset - block.start;
      // A collapsed range at a line start may report the previous line; measure
      // the character after it instead when there is one.
      if (inner < block.node.length) {
        range.setStart(block.node, inner);
        range.setEnd(block.node, inner + 1);
        const rect = range.getClientRects()[0];
        return rect ? { left: rect.left, top: rect.top, height: rect.height } : null;
      }
      range.setStart(block.node, inner);
      const rect = range.getBoundingClientRect();
      return { left: rect.left, top: rect.top, height: rect.height };
    }

    // The first offset whose line ends below `y` (viewport coordinates): a
    // binary search over character boxes, for the part of the text on screen.
    offsetAtY(y) {
      const range = document.createRange();
      for (const block of this.blocks) {
        const box = block.element.getBoundingClientRect();
        if (box.bottom < y) {
          continue;
        }
        if (box.top >= y || !block.node.length) {
          return block.start;
        }
        let low = 0;
        let high = block.node.length;
        while (low < high) {
          const middle = (low + high) >> 1;
          range.setStart(block.node, middle);
          range.setEnd(block.node, middle + 1);
          if (range.getBoundingClientRect().bottom < y) {
            low = middle + 1;
          } else {
            high = middle;
          }
        }
        return block.start + low;
      }
      return this.blocks.length ? this.blocks[this.blocks.length - 1].end : 0;
    }

    // The document offset (UTF-16) of a DOM point, or null outside the blocks.
    offsetOf(node, offset) {
      const element = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
      const block = element && this.blockOf.get(element);
      if (!block) {
        return null;
      }
      if (node.nodeType === Node.TEXT_NODE) {
        return block.start + offset;
      }
      return offset === 0 ? block.start : block.end;
    }

    offsetAtPoint(x, y) {
      const position = document.caretPositionFromPoint
        ? document.caretPositionFromPoint(x, y)
        : null;
      if (!position) {
        return null;
      }
      return this.offsetOf(position.offsetNode, position.offset);
    }

    contains(node) {
      return this.blocks.some((block) => block.element.contains(node));
    }

    // The current selection as [start, end) UTF-16 over the document, clipped
    // to the blocks, snapped to words if asked and trimmed; null if empty.
    selected(snap) {
      const selection = window.getSelection();
      if (!selection.rangeCount || selection.isCollapsed) {
        return null;
      }
      const range = selection.getRangeAt(0);
      // An end outside the blocks (in a lane, past the text) is clipped to the
      // first or last block the selection touches.
      const touched = this.blocks.filter((block) => range.intersectsNode(block.node));
      if (!touched.length) {
        return null;
      }
      let start = this.offsetOf(range.startContainer, range.startOffset);
      let end = this.offsetOf(range.endContainer, range.endOffset);
      if (start === null) {
        start = touched[0].start;
      }
      if (end === null) {
        end = touched[touched.length - 1].end;
      }
      if (start >= end) {
        return null;
      }
      if (snap) {
        [start, end] = snapToWords(this.text, start, end);
      }
      [start, end] = trim(this.text, start, end);
      return start < end ? { start, end } : null;
    }

    // Shows [anchor, focus) (UTF-16) as the browser's own selection.
    select(anchor, focus) {
      const locate = (offset) => {
        const block = this.blocks.find((item) => offset >= item.start && offset <= item.end) ||
          this.blocks[this.blocks.length - 1];
        return [block.node, Math.min(Math.max(offset - block.start, 0), block.node.length)];
      };
      const [anchorNode, anchorOffset] = locate(anchor);
      const [focusNode, focusOffset] = locate(focus);
      window.getSelection().setBaseAndExtent(anchorNode, anchorOffset, focusNode, focusOffset);
    }

    toCodePoints(start, end) {
      return [this.offsets.toCodePoint(start), this.offsets.toCodePoint(end)];
    }

    toUtf16(start, end) {
      return [this.offsets.toUtf16(start), this.offsets.toUtf16(end)];
    }

    quote(start, end) {
      return this.text.slice(start, end);
    }
  }

  // The "Snap to words" checkbox remembers its state across pages.
  function rememberSnap(checkbox) {
    checkbox.checked = localStorage.getItem("annotator.snap") !== "off";
    checkbox.addEventListener("change", () => {
      localStorage.setItem("annotator.snap", checkbox.checked ? "on" : "off");
    });
  }

  // The keys both pages share: Ctrl+Z undoes, Escape drops the selection,
  // Delete/Backspace deletes the selected span, a label's hotkey applies it.
  // `keys` maps each of a page's own keys to its action. Keys typed into a
  // form field are the field's; keys on a focused button other than the
  // page's own are the button's.
  function listenToEditorKeys({ undo, escape, remove, labelByHotkey, applyLabel, keys }) {
    document.addEventListener("keydown", (event) => {
      if (event.defaultPrevented || event.target.closest("input, textarea, select, [contenteditable]")) {
        return;
      }
      if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "z") {
        event.preventDefault();
        undo();
        return;
      }
      if (event.ctrlKey || event.metaKey || event.altKey) {
        return;
      }
      if (event.key === "Escape") {
        escape();
      } else if (event.key === "Delete" || event.key === "Backspace") {
        if (remove()) {
          event.preventDefault();
        }
      } else if (labelByHotkey.has(event.key)) {
        event.preventDefault();
        applyLabel(labelByHotkey.get(event.key));
      } else if (Object.hasOwn(keys, event.key)) {
        if (keys[event.key](event) !== false) {
          event.preventDefault();
        }
      }
    });
  }

  return { offsetsOf, snapToWords, trim, step, TextView, rememberSnap, listenToEditorKeys };
})();
