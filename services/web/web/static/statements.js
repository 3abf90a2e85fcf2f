// Progressive enhancement of the statement upload form: the file is sent with XMLHttpRequest so that a progress
// bar can show how much of it has gone; once it has all gone, the service reads and reconciles it, and its report
// (the statement's page, or the form with the error naming the file's line) replaces the page, its address in the
// address bar. Without script the form posts as usual.
(function () {
  "use strict";
  var form = document.querySelector("form[data-upload]");
  if (!form || !window.FormData || !window.XMLHttpRequest) { return; }
  var box = form.querySelector(".upload-progress");
  var bar = form.querySelector("progress");
  var status = box && box.querySelector("[role=status]");
  if (!box || !bar || !status) { return; }
  form.addEventListener("submit", function (ev) {
    var file = form.querySelector("input[type=file]");
    if (!file || !file.files || file.files.length === 0) { return; } // the server says what is missing
    ev.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
    box.hidden = false;
    bar.value = 0;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("action"));
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) { return; }
      var pct = Math.floor(e.loaded * 100 / e.total);
      bar.value = pct;
      status.textContent = status.getAttribute("data-sending").replace("{percent}", pct);
    });
    xhr.upload.addEventListener("load", function () {
      bar.removeAttribute("value"); // indeterminate while the service works
      status.textContent = status.getAttribute("data-processing");
    });
    xhr.addEventListener("load", function () {
      // The answer is the page to show: the statement's page (the report; the request followed the redirect and
      // its one-time message is in this page) or the form with its errors. The address bar follows.
      var path = "";
      try { path = new URL(xhr.responseURL).pathname; } catch (e) { path = ""; }
      if (path && path !== window.location.pathname && window.history && window.history.replaceState) {
        window.history.replaceState(null, "", xhr.responseURL);
      }
      document.open();
      document.write(xhr.responseText);
      document.close();
    });
    xhr.addEventListener("error", function () {
      status.textContent = status.getAttribute("data-failed");
      if (button) { button.disabled = false; }
    });
    xhr.send(new FormData(form));
  });
})();
