// Country lists of the call form: a filter box, and buttons to tick every African Union or EU member at once.
// The lists work without this script (plain checkboxes grouped by region); it only saves clicks.
(function () {
  "use strict";

  function fold(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function setUp(picker) {
    var tools = picker.querySelector("[data-picker-tools]");
    var filter = picker.querySelector("[data-picker-filter]");
    var total = picker.querySelector("[data-picker-total]");
    var groups = Array.prototype.slice.call(picker.querySelectorAll("details.country-group"));
    var boxes = Array.prototype.slice.call(picker.querySelectorAll("input[type=checkbox]"));
    var totalTemplate = picker.getAttribute("data-total-label") || "";

    function counts() {
      groups.forEach(function (group) {
        var ticked = group.querySelectorAll("input[type=checkbox]:checked").length;
        var label = group.querySelector("[data-group-count]");
        if (label) {
          label.textContent = ticked ? "(" + ticked + ")" : "";
        }
      });
      if (total) {
        var n = picker.querySelectorAll("input[type=checkbox]:checked").length;
        total.textContent = totalTemplate ? totalTemplate.replace("{n}", n) : String(n);
      }
    }

    function applyFilter() {
      var query = fold(filter.value.trim());
      groups.forEach(function (group) {
        var matches = 0;
        group.querySelectorAll("li[data-country]").forEach(function (item) {
          var shown = !query || fold(item.getAttribute("data-country")).indexOf(query) !== -1;
          item.hidden = !shown;
          if (shown) {
            matches += 1;
          }
        });
        group.hidden = query !== "" && matches === 0;
        if (query && matches) {
          group.open = true;
        }
      });
    }

    tools.hidden = false;
    filter.addEventListener("input", applyFilter);
    filter.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault(); // Enter in the filter box must not submit the whole call form
      }
    });
    picker.querySelectorAll("[data-picker-select]").forEach(function (button) {
      button.addEventListener("click", function () {
        var union = button.getAttribute("data-picker-select");
        boxes.forEach(function (box) {
          if (union === "none") {
            box.checked = false;
          } else if (box.getAttribute("data-union") === union) {
            box.checked = true;
          }
        });
        if (union !== "none") {
          groups.forEach(function (group) {
            if (group.getAttribute("data-union") === union) {
              group.open = true;
            }
          });
        }
        counts();
      });
    });
    picker.addEventListener("change", counts);
    counts();
  }

  document.querySelectorAll("[data-country-picker]").forEach(setUp);
})();
