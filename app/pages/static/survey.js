// Records the preselected score once a person is plausibly present: the page has been
// visible for 3 seconds in total, or someone really interacted with it (trusted events
// only, which scripts cannot fake). The server applies its own checks on top; see the
// README, "Scanner-safe recording". Without JavaScript the form's submit button does it all.
(function () {
  "use strict";
  var form = document.getElementById("answer");
  if (!form || form.getAttribute("data-auto") !== "on" || !window.fetch) {
    return;
  }
  var VISIBLE_MS = 3000;
  var saved = document.getElementById("saved");
  var openId = form.elements.open.value;
  var sent = false;
  var queue = Promise.resolve();
  var visibleMs = 0;
  var since = document.visibilityState === "visible" ? Date.now() : null;

  function selected() {
    var checked = form.querySelector('input[name="score"]:checked');
    return checked ? checked.value : null;
  }

  function send(trigger) {
    var score = selected();
    if (score === null) {
      return;
    }
    sent = true;
    var body = new URLSearchParams({ open: openId, score: score, trigger: trigger });
    queue = queue.then(function () {
      return fetch(form.getAttribute("data-presence"), {
        method: "POST",
        body: body,
        credentials: "same-origin",
        keepalive: true,
      })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (result) {
          if (result && result.recorded) {
            saved.hidden = false;
          }
        })
        .catch(function () {});
    });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      since = Date.now();
    } else if (since !== null) {
      visibleMs += Date.now() - since;
      since = null;
    }
  });

  var timer = setInterval(function () {
    if (sent) {
      clearInterval(timer);
      return;
    }
    var total = visibleMs + (since !== null ? Date.now() - since : 0);
    if (total >= VISIBLE_MS) {
      clearInterval(timer);
      send("visible");
    }
  }, 250);

  function interacted(event) {
    if (event.isTrusted && !sent) {
      send("interaction");
    }
  }
  ["pointerdown", "keydown", "touchstart"].forEach(function (type) {
    document.addEventListener(type, interacted, { passive: true });
  });
  form.addEventListener("change", function (event) {
    if (event.isTrusted && event.target.name === "score") {
      send("interaction");
    }
  });
  form.addEventListener("submit", function () {
    clearInterval(timer);
    sent = true;
  });
})();
