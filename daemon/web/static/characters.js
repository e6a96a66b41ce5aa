// The characters page: a refused upload, removal or caption edit answers 400, 404 or 413
// with its fragment and the reason in it; htmx swaps only 2xx answers unless told to.
"use strict";
document.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr.status;
  var target = event.detail.target;
  var ours = target && (target.id === "references" || target.classList.contains("tile"));
  if (ours && (status === 400 || status === 404 || status === 413)) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
