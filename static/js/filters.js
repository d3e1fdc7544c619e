// The catalogue's filters fold behind a "Filter" disclosure so that on phones the shoes
// come first. Where there is room beside the results, start with the filters unfolded.
(function () {
  "use strict";
  var filters = document.getElementById("filters");
  if (!filters || !window.matchMedia) { return; }
  var wide = window.matchMedia("(min-width: 761px)");
  function unfold() { if (wide.matches) { filters.open = true; } }
  unfold();
  if (wide.addEventListener) { wide.addEventListener("change", unfold); }
})();
