// Prikke's own script: small, optional (every page reads fine without it)
// and CSP-safe (no eval, no inline handlers, no inline styles).
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Times are written by the server, in the user's chosen zone, with the
  // exact instant in their title; nothing here rewrites them.

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

  // The viewer's time zone, for the job editor's preview: hidden inputs
  // with data-viewer-tz get it, and a zone picker with
  // data-viewer-default starts at it. This runs before htmx's "load"
  // triggers (deferred scripts run before DOMContentLoaded).
  var viewerZone = "";
  try {
    viewerZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) {
    viewerZone = "";
  }
  function viewerZones(root) {
    if (!viewerZone) return;
    root.querySelectorAll("input[data-viewer-tz]").forEach(function (el) { el.value = viewerZone; });
    root.querySelectorAll("select[data-viewer-default]").forEach(function (el) {
      el.removeAttribute("data-viewer-default");
      if (el.value === "UTC" && el.querySelector('option[value="' + viewerZone.replace(/"/g, "") + '"]')) {
        el.value = viewerZone;
      }
    });
  }
  viewerZones(document);

  // Key/value rows (the job editor's headers): a button with
  // data-add-row="container-id" copies the container's <template>
  // (data-template), numbering the copy with data-next; a button with
  // data-remove-row removes its row.
  document.addEventListener("click", function (ev) {
    var add = ev.target.closest && ev.target.closest("[data-add-row]");
    if (add) {
      var box = document.getElementById(add.getAttribute("data-add-row"));
      var tpl = box && document.getElementById(box.getAttribute("data-template"));
      if (!tpl) return;
      var n = parseInt(box.getAttribute("data-next"), 10) || 0;
      box.setAttribute("data-next", String(n + 1));
      var holder = document.createElement("div");
      holder.innerHTML = tpl.innerHTML.split("__INDEX__").join(String(n));
      var row = holder.firstElementChild;
      if (!row) return;
      box.appendChild(row);
      var first = row.querySelector("input");
      if (first) first.focus();
      return;
    }
    var del = ev.target.closest && ev.target.closest("[data-remove-row]");
    if (del) {
      var r = del.closest("[data-header-row]");
      var list = r && r.parentElement;
      if (!r) return;
      r.remove();
      var next = list && list.parentElement.querySelector("[data-add-row]");
      if (next) next.focus();
    }
  });

  // Live table rows: an element with sse-swap and data-live-rows receives
  // rendered <tr id="…"> rows. A row whose id is on the page replaces it;
  // a new one goes on top when data-live-rows is "prepend".
  document.addEventListener("htmx:sseBeforeMessage", function (ev) {
    var body = ev.target;
    if (!body || !body.hasAttribute || !body.hasAttribute("data-live-rows")) return;
    ev.preventDefault();
    var tpl = document.createElement("template");
    tpl.innerHTML = "<table><tbody>" + String(ev.detail.data || "").trim() + "</tbody></table>";
    var row = tpl.content.querySelector("tr[id]");
    if (!row) return;
    var old = document.getElementById(row.id);
    if (old) {
      old.replaceWith(row);
    } else if (body.getAttribute("data-live-rows") === "prepend") {
      var empty = body.querySelector("[data-empty-row]");
      if (empty) empty.remove();
      body.insertBefore(row, body.firstChild);
    } else {
      return;
    }
    if (window.htmx) window.htmx.process(row);
  });

  // A slug input with data-slug-from="<input id>" follows that input as
  // a slug (lower case, a-z, 0-9 and dashes) until it is typed in itself
  // (the monitor editor's slug from its name).
  document.addEventListener("input", function (ev) {
    var el = ev.target;
    if (!el || !el.id) return;
    if (el.hasAttribute("data-slug-from")) {
      el.removeAttribute("data-slug-from");
      return;
    }
    document.querySelectorAll('input[data-slug-from="' + el.id.replace(/"/g, "") + '"]').forEach(function (slug) {
      slug.value = el.value.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 100);
    });
  });

  // Dropdowns (<details data-dropdown>) close on Escape and on a click
  // outside them.
  document.addEventListener("click", function (ev) {
    document.querySelectorAll("details[data-dropdown][open]").forEach(function (d) {
      if (!d.contains(ev.target)) d.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape") return;
    document.querySelectorAll("details[data-dropdown][open]").forEach(function (d) {
      d.removeAttribute("open");
      var s = d.querySelector("summary");
      if (s) s.focus();
    });
  });
})();
