/* The deadline panel: a live countdown to the second, and the deadline in the browser's own time zone when it
 * differs from the call's and the account's. The server renders the time left for pages without JavaScript. */
(function () {
  "use strict";
  document.querySelectorAll("[data-deadline]").forEach(function (panel) {
    var deadline = new Date(panel.getAttribute("data-deadline"));
    if (isNaN(deadline.getTime())) return;
    var out = panel.querySelector("[data-countdown]");
    var lang = document.documentElement.lang || undefined;
    var browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var browserTime = panel.querySelector("[data-browser-time]");
    if (browserTime && browserZone && browserZone !== panel.getAttribute("data-call-timezone") &&
        browserZone !== panel.getAttribute("data-reader-timezone")) {
      browserTime.textContent = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "long" })
        .format(deadline) + " (" + browserZone + ")";
      browserTime.hidden = false;
    }
    var plural = window.Intl && Intl.PluralRules ? new Intl.PluralRules(lang) : null;
    function pad(n) { return (n < 10 ? "0" : "") + n; }
    function tick() {
      var left = Math.floor((deadline.getTime() - Date.now()) / 1000);
      if (left <= 0) {
        out.textContent = panel.getAttribute("data-passed-text");
        return;
      }
      var days = Math.floor(left / 86400);
      var rest = left % 86400;
      var clock = pad(Math.floor(rest / 3600)) + ":" + pad(Math.floor((rest % 3600) / 60)) + ":" + pad(rest % 60);
      var dayWord = panel.getAttribute(plural && plural.select(days) === "one" ? "data-day-one" : "data-day-other");
      out.textContent = (days ? days + " " + dayWord + " " : "") + clock + " " + panel.getAttribute("data-left-text");
      setTimeout(tick, 1000);
    }
    tick();
  });
})();
