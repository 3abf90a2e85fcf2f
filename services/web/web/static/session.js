// The live session page keeps itself current without a reload: every 10 seconds it reads the page again and
// updates the quorum, the tallies and the outcomes in place (text only: no form the user is filling in changes,
// the focus stays where it is). When a vote opens or closes for the member looking at the page, it reloads,
// unless the user is typing in a form. Without JavaScript the "Refresh" link does the same.
(function () {
  "use strict";
  var live = document.getElementById("quorum");
  if (!document.getElementById("live-marker")) { return; }
  function count(doc) { return doc.querySelectorAll("form.my-vote, form.outcome-form").length; }
  function typing() {
    var a = document.activeElement;
    return a && a.form && (a.tagName === "INPUT" || a.tagName === "TEXTAREA" || a.tagName === "SELECT");
  }
  function update() {
    fetch(window.location.pathname, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (res) { return res.ok && !res.redirected ? res.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        if (count(doc) !== count(document) && !typing()) { window.location.reload(); return; }
        var q = doc.getElementById("quorum");
        if (q && live && live.textContent !== q.textContent) { live.textContent = q.textContent; live.className = q.className; }
        doc.querySelectorAll("section.agenda-item").forEach(function (s) {
          var mine = document.getElementById(s.id);
          if (!mine) { return; }
          ["dd.tally", "dd.outcome"].forEach(function (sel) {
            var n = s.querySelector(sel), o = mine.querySelector(sel);
            if (n && o && n.textContent !== o.textContent) { o.textContent = n.textContent; }
          });
        });
      })
      .catch(function () {});
  }
  window.setInterval(update, 10000);
})();
