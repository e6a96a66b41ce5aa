// Drag and drop corrections on the review page (no library; htmx is not needed).
// Tiles carry data-item="image:<id>" or "face:<id>"; targets carry data-drop="...".
// Click selects a tile, ctrl/cmd-click toggles one, shift-click selects a range; dragging a
// selected tile drags the whole selection. A drop POSTs /corrections with the session's
// CSRF token (base.html's hx-headers) and reloads the page, so every count is the server's.
(function () {
  "use strict";
  var anchor = null; // the tile a shift-click range starts from
  var dragged = [];

  function tiles() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-item]"));
  }

  function token() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || "";
    } catch (e) {
      return "";
    }
  }

  function say(text) {
    var status = document.getElementById("drop-status");
    if (status) {
      status.textContent = text;
    } else {
      window.alert(text);
    }
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-CSRF-Token": token()
      },
      body: body
    }).then(function (response) {
      return response.text().then(function (text) {
        if (response.ok) {
          window.location.reload();
        } else {
          say(text || "refused (" + response.status + ")");
        }
      });
    }, function () {
      say("the page could not reach the server; nothing was changed");
    });
  }

  function select(tile, event) {
    var all = tiles();
    if (event.shiftKey && anchor && all.indexOf(anchor) >= 0) {
      var from = all.indexOf(anchor), to = all.indexOf(tile);
      var low = Math.min(from, to), high = Math.max(from, to);
      all.forEach(function (t, i) { t.classList.toggle("is-selected", i >= low && i <= high); });
      return;
    }
    if (event.ctrlKey || event.metaKey) {
      tile.classList.toggle("is-selected");
    } else {
      all.forEach(function (t) { t.classList.toggle("is-selected", t === tile); });
    }
    anchor = tile;
  }

  function prepare(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("[data-item]").forEach(function (t) {
      t.setAttribute("draggable", "true");
    });
  }

  document.addEventListener("click", function (event) {
    var undo = event.target.closest("[data-undo]");
    if (undo) {
      post("/corrections/undo", "");
      return;
    }
    var tile = event.target.closest("[data-item]");
    // A tile's own controls (a caption's editor, a link) keep their clicks.
    if (tile && !event.target.closest("a, button, input, textarea, select, summary, label")) {
      event.preventDefault();
      select(tile, event);
    }
  });

  document.addEventListener("dragstart", function (event) {
    var tile = event.target.closest && event.target.closest("[data-item]");
    if (!tile) {
      return;
    }
    if (!tile.classList.contains("is-selected")) {
      select(tile, { shiftKey: false, ctrlKey: false, metaKey: false });
    }
    dragged = tiles().filter(function (t) { return t.classList.contains("is-selected"); });
    dragged.forEach(function (t) { t.classList.add("is-dragging"); });
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.map(function (t) {
      return t.getAttribute("data-item");
    }).join("\n"));
  });

  document.addEventListener("dragend", function () {
    dragged.forEach(function (t) { t.classList.remove("is-dragging"); });
  });

  function targetOf(event) {
    return event.target.closest ? event.target.closest("[data-drop]") : null;
  }

  document.addEventListener("dragover", function (event) {
    var target = targetOf(event);
    if (target) {
      event.preventDefault(); // allows the drop
      event.dataTransfer.dropEffect = "move";
      target.classList.add("is-over");
    }
  });

  document.addEventListener("dragleave", function (event) {
    var target = targetOf(event);
    if (target && !target.contains(event.relatedTarget)) {
      target.classList.remove("is-over");
    }
  });

  document.addEventListener("drop", function (event) {
    var target = targetOf(event);
    if (!target) {
      return;
    }
    event.preventDefault();
    target.classList.remove("is-over");
    var items = (event.dataTransfer.getData("text/plain") || "").split("\n").filter(Boolean);
    if (!items.length) {
      return;
    }
    var body = new URLSearchParams();
    items.forEach(function (item) { body.append("item", item); });
    body.append("target", target.getAttribute("data-drop"));
    post("/corrections", body.toString());
  });

  document.addEventListener("DOMContentLoaded", function () { prepare(document); });
  // Grids and the targets' fragment come later with htmx: their tiles are made draggable too.
  document.addEventListener("htmx:afterSettle", function (event) { prepare(event.target); });
})();
