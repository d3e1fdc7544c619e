// Option picking on a product page: choosing a size, width or colour fetches the page
// for that choice and swaps in its price, availability and add-to-cart form, then says
// what changed through the page's status region. Without JavaScript the "Check
// availability" button loads the same page, landing at the answer (#selection).
(function () {
  "use strict";
  var form = document.querySelector("form[data-picker]");
  var status = document.getElementById("flash-region");
  if (!form || !status || !window.fetch || !window.DOMParser) { return; }
  var SWAPPED = ["product-price", "selection", "mismatched-pair"];
  var latest = 0;

  function announce(text) {
    var note = document.getElementById("picker-status");
    if (!note) {
      note = document.createElement("p");
      note.id = "picker-status";
      note.className = "visually-hidden";
      status.appendChild(note);
    }
    note.textContent = text;
  }

  function summary() {
    var selection = document.getElementById("selection");
    var price = document.getElementById("product-price");
    var chosen = selection.querySelector("strong");
    var stock = selection.querySelector(".stock");
    if (chosen && stock) {
      return chosen.textContent + ": " + stock.textContent.trim() + ", " + price.textContent.trim() + ".";
    }
    return selection.textContent.trim();
  }

  function update() {
    var ticket = ++latest;
    var query = new URLSearchParams(new FormData(form)).toString();
    var address = form.action.split("#")[0] + (query ? "?" + query : "");
    fetch(address, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.text();
      })
      .then(function (html) {
        if (ticket !== latest) { return; }  // a newer choice is on its way
        var fresh = new DOMParser().parseFromString(html, "text/html");
        SWAPPED.forEach(function (id) {
          var now = document.getElementById(id);
          var next = fresh.getElementById(id);
          if (now && next) { now.replaceWith(document.importNode(next, true)); }
        });
        history.replaceState(null, "", address);
        announce(summary());
      })
      .catch(function () {
        if (ticket === latest) {
          announce("Could not check availability. Use the Check availability button.");
        }
      });
  }

  form.addEventListener("change", update);
})();
