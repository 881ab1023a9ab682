// The order list's bulk bar: "select all on this page", the number of ticked orders, and no submit without one.
(function () {
  "use strict";
  var form = document.getElementById("order-selection");
  if (!form) return;
  var boxes = function () { return document.querySelectorAll('input[type="checkbox"][form="order-selection"]'); };
  var all = document.getElementById("select-all");
  var count = document.getElementById("bulk-count");
  var update = function () {
    var ticked = Array.prototype.filter.call(boxes(), function (box) { return box.checked; }).length;
    count.textContent = ticked;
    form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = ticked === 0; });
    if (all) { all.checked = ticked > 0 && ticked === boxes().length; all.indeterminate = ticked > 0 && !all.checked; }
  };
  document.addEventListener("change", function (event) {
    if (event.target === all) { boxes().forEach(function (box) { box.checked = all.checked; }); }
    if (event.target === all || event.target.getAttribute("form") === "order-selection") update();
  });
  update();
})();
