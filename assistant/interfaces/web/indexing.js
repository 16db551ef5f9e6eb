// Indexing banner: while `kompetens serve --ingest` indexes in the background, polls /healthz and shows
// "Indexerar 7 av 23 dokument – frågor besvaras från det som är klart". Self-contained: it needs only
// <div id="indexing-banner" hidden> in the page, styles itself and removes itself when indexing is done.
(function () {
  "use strict";
  var POLL_MS = 2000;

  function minutes(seconds) {
    if (seconds === null || seconds === undefined) return "";
    if (seconds < 60) return ", under en minut kvar";
    return ", cirka " + Math.round(seconds / 60) + " min kvar";
  }

  function text(ix) {
    var at = Math.min(ix.documents_done + 1, ix.documents_total);
    return "Indexerar " + at + " av " + ix.documents_total + " dokument – frågor besvaras från det som är klart" +
      minutes(ix.eta_s) + ".";
  }

  function style(el) {
    el.setAttribute("role", "status");
    el.setAttribute("aria-live", "polite");
    el.style.padding = "0.5rem 1rem";
    el.style.margin = "0 0 1rem 0";
    el.style.borderRadius = "4px";
    el.style.background = "#fff6d6";
    el.style.border = "1px solid #e0c65a";
    el.style.color = "#4a3b00";
    el.style.fontSize = "0.95rem";
  }

  function poll(el) {
    fetch("/healthz", { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (health) {
        var ix = health && health.indexing;
        if (ix && ix.running && ix.documents_total > 0) {
          el.textContent = text(ix);
          el.hidden = false;
          setTimeout(function () { poll(el); }, POLL_MS);
        } else {
          el.hidden = true;
        }
      })
      .catch(function () { setTimeout(function () { poll(el); }, POLL_MS * 3); });
  }

  function start() {
    var el = document.getElementById("indexing-banner");
    if (!el) return;
    style(el);
    poll(el);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
