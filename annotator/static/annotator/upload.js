// The upload pages (documents, spans): show how far the file has gone up while
// htmx posts the form, and let a refused import (a 400 with the reason) replace
// the result like a success. htmx:xhr:progress carries the progress events of
// the upload and then of the download of the answer; the bar follows the upload
// only, which finishes first.
"use strict";

(() => {
  for (const form of document.querySelectorAll("form.upload-form")) {
    const row = form.querySelector(".upload-progress");
    const bar = row.querySelector("progress");
    const percent = row.querySelector("output");
    let uploaded = false;

    const show = (done, words) => {
      bar.value = done;
      percent.textContent = words;
    };

    form.addEventListener("htmx:beforeRequest", () => {
      uploaded = false;
      show(0, "");
      row.hidden = false;
    });
    form.addEventListener("htmx:xhr:progress", (event) => {
      if (uploaded || !event.detail.lengthComputable || event.detail.total === 0) {
        return;
      }
      const done = Math.round((event.detail.loaded / event.detail.total) * 100);
      uploaded = done === 100;
      show(done, uploaded ? "100%, importing…" : `${done}%`);
    });
    form.addEventListener("htmx:afterRequest", () => {
      uploaded = true;
      show(100, "100%, done");
    });
    // htmx fires beforeSwap on the target (the result, outside the form), so
    // listen above both and pick this form's requests.
    document.addEventListener("htmx:beforeSwap", (event) => {
      if (event.detail.requestConfig?.elt === form && event.detail.xhr.status === 400) {
        event.detail.shouldSwap = true;
        event.detail.isError = false;
      }
    });
  }
})();
