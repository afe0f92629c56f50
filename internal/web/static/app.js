// Prikke's own script: small, optional (every page reads fine without it)
// and CSP-safe (no eval, no inline handlers, no inline styles).
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // <time datetime="…" data-local> shows the instant in the viewer's zone;
  // the server-rendered text (UTC) moves into the title.
  var fmt;
  try {
    fmt = new Intl.DateTimeFormat(undefined, {
      weekday: "short", year: "numeric", month: "short", day: "numeric",
      hour: "2-digit", minute: "2-digit", timeZoneName: "short",
    });
  } catch (e) {
    fmt = null;
  }
  function localTimes(root) {
    if (!fmt) return;
    root.querySelectorAll("time[data-local]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d.getTime())) return;
      if (!el.title) el.title = el.textContent.trim();
      el.textContent = fmt.format(d);
      el.removeAttribute("data-local");
    });
  }

  // <button class="copy-button" data-copy="element-id"> copies that
  // element's text.
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest && ev.target.closest("[data-copy]");
    if (!btn || !navigator.clipboard) return;
    var src = document.getElementById(btn.getAttribute("data-copy"));
    if (!src) return;
    navigator.clipboard.writeText(src.innerText.replace(/\n$/, "")).then(function () {
      var label = btn.querySelector("[data-copy-label]") || btn;
      var old = label.textContent;
      label.textContent = "Copied";
      setTimeout(function () { label.textContent = old; }, 1500);
    });
  });

  document.addEventListener("DOMContentLoaded", function () { localTimes(document); });
  // Fragments swapped in by htmx (and server-sent events) get the same.
  document.addEventListener("htmx:afterSwap", function (ev) { localTimes(ev.detail.elt || document); });
  document.addEventListener("htmx:sseMessage", function (ev) { localTimes(ev.detail.elt || document); });
})();
