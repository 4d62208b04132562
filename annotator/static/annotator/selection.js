// Text selection and offsets, shared by the annotate and adjudicate pages.
// The server counts Python code points, half-open [start, end); the browser
// counts UTF-16 code units. Conversion happens here, in codePointOffset, and
// nowhere else.
"use strict";

window.AnnotatorSelection = (() => {
  const WORD_CHARACTER = /[\p{L}\p{N}\p{M}_]/u;

  function utf16Offset(container, node, offset) {
    const range = document.createRange();
    range.setStart(container, 0);
    range.setEnd(node, offset);
    return range.toString().length;
  }

  function codePointOffset(text, utf16) {
    let count = 0;
    for (let index = 0; index < utf16; index += 1) {
      const unit = text.charCodeAt(index);
      const isLowSurrogateOfPair =
        unit >= 0xdc00 && unit <= 0xdfff && index > 0 &&
        text.charCodeAt(index - 1) >= 0xd800 && text.charCodeAt(index - 1) <= 0xdbff;
      if (!isLowSurrogateOfPair) {
        count += 1;
      }
    }
    return count;
  }

  // The code point that starts at, or ends at, a UTF-16 index, and its width.
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

  // The current text selection inside `container`, as UTF-16 offsets, or null.
  function selectedRange(container, snap) {
    const selection = window.getSelection();
    if (!container || !selection.rangeCount || selection.isCollapsed) {
      return null;
    }
    const range = selection.getRangeAt(0);
    if (!range.intersectsNode(container)) {
      return null;
    }
    const text = container.textContent;
    let start = container.contains(range.startContainer)
      ? utf16Offset(container, range.startContainer, range.startOffset)
      : 0;
    let end = container.contains(range.endContainer)
      ? utf16Offset(container, range.endContainer, range.endOffset)
      : text.length;
    if (snap) {
      [start, end] = snapToWords(text, start, end);
    }
    return start < end ? { text, start, end } : null;
  }

  // The selection as the server wants it: code points and the quoted text.
  function selectedSpan(container, snap) {
    const range = selectedRange(container, snap);
    if (!range) {
      return null;
    }
    return {
      start: codePointOffset(range.text, range.start),
      end: codePointOffset(range.text, range.end),
      text: range.text.slice(range.start, range.end),
    };
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
  // form field are the field's.
  function listenToEditorKeys({ undo, select, selected, remove, labelByHotkey, applyLabel, keys }) {
    document.addEventListener("keydown", (event) => {
      if (event.target.closest("input, textarea, select, [contenteditable]")) {
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
        window.getSelection().removeAllRanges();
        select(null);
      } else if ((event.key === "Delete" || event.key === "Backspace") && selected()) {
        event.preventDefault();
        const id = selected();
        select(null);
        remove(id);
      } else if (labelByHotkey.has(event.key)) {
        event.preventDefault();
        applyLabel(labelByHotkey.get(event.key));
      } else if (Object.hasOwn(keys, event.key)) {
        keys[event.key]();
      }
    });
  }

  return { codePointOffset, selectedSpan, rememberSnap, listenToEditorKeys };
})();
