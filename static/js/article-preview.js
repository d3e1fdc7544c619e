// Live preview for the article editor: re-renders the body on the server as you type.
// Without JavaScript the Preview button does the same with a full page load.
(function () {
  "use strict";
  var form = document.getElementById("article-form");
  var target = document.getElementById("article-preview");
  if (!form || !target || !window.fetch) { return; }
  var body = form.querySelector("[name=body]");
  var token = form.querySelector("[name=csrf_token]");
  var timer = null;
  var latest = 0;

  function refresh() {
    var ticket = ++latest;
    var data = new FormData();
    data.append("body", body.value);
    fetch(form.getAttribute("data-preview-url"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "" }
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.text();
    }).then(function (html) {
      // Only the newest answer counts; the server has already sanitised it.
      if (ticket === latest) { target.innerHTML = html; }
    }).catch(function () {
      if (ticket === latest) {
        target.insertAdjacentHTML("afterbegin",
          '<p class="preview-note">The live preview is not updating. Press Preview to refresh it.</p>');
      }
    });
  }

  body.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 400);
  });
}());
