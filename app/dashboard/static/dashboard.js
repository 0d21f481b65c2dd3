// The one script of the dashboard: the browser's time zone as the default view. Without
// it (or without JavaScript) the dashboard shows UTC; every view is a plain GET form.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!zone) return;
  var params = new URLSearchParams(window.location.search);
  var fields = document.querySelectorAll("input[data-browser-tz]");
  for (var i = 0; i < fields.length; i++) {
    if (!fields[i].value || (fields[i].type === "hidden" && !params.has("tz"))) {
      fields[i].value = zone;
    }
  }
  // A page opened without a time zone shows the browser's, once.
  var signedIn = document.querySelector("form.sign-out");
  if (signedIn && !params.has("tz") && zone !== "UTC" && window.location.pathname !== "/dashboard/sign-in") {
    params.set("tz", zone);
    window.location.replace(window.location.pathname + "?" + params.toString() + window.location.hash);
  }
})();
