/* Improvements to the proposal form's sections; each page works without them.
 * - live word counters under texts with a word limit;
 * - repeatable groups (objectives, outputs, indicators, activities, risks) added in the page;
 * - the activities' output lists follow the outputs as typed;
 * - countries: a filter box over the list, and the sum of the shares as you type. */
(function () {
  "use strict";
  var form = document.querySelector("form.section-form");
  if (!form) return;

  // -- word counters --
  function words(text) {
    var trimmed = text.trim();
    return trimmed ? trimmed.split(/\s+/).length : 0;
  }
  form.querySelectorAll("[data-word-count-for]").forEach(function (counter) {
    var input = document.getElementById(counter.getAttribute("data-word-count-for"));
    var template = counter.getAttribute("data-template");
    if (!input) return;
    var limit = parseInt(input.getAttribute("data-word-limit"), 10);
    function update() {
      var count = words(input.value);
      counter.textContent = template.replace("{count}", count).replace("{limit}", limit);
      counter.classList.toggle("over", count > limit);
    }
    input.addEventListener("input", update);
    update();
  });

  // -- repeatable groups --
  function items(list) {
    return Array.prototype.filter.call(list.children, function (el) { return el.classList.contains("repeat-item"); });
  }
  function renumberAll() {
    form.querySelectorAll(".repeat-list").forEach(function (list) {
      items(list).forEach(function (item, i) {
        var number = item.querySelector(":scope > legend [data-number]");
        if (number) number.textContent = i + 1;
      });
    });
    var objectives = form.querySelector(".repeat-list[data-list='objectives']");
    if (!objectives) return;
    items(objectives).forEach(function (objective, i) {
      var outputs = objective.querySelector(".repeat-list");
      if (!outputs) return;
      items(outputs).forEach(function (output, j) {
        var code = output.querySelector(":scope > legend [data-code]");
        if (code) code.textContent = (i + 1) + "." + (j + 1);
      });
    });
  }
  function rename(el, from, to) {
    var pattern = new RegExp("(^|:)" + from.replace(/[-]/g, "\\-") + "(?=-|$)");
    ["name", "id", "for", "data-item", "data-list", "data-add", "aria-describedby", "value"].forEach(function (attr) {
      var v = el.getAttribute(attr);
      if (v === null) return;
      if (attr === "value" && el.tagName !== "BUTTON") return;
      var nv = v.split(" ").map(function (part) { return part.replace(pattern, "$1" + to); }).join(" ");
      if (nv !== v) el.setAttribute(attr, nv);
    });
  }
  function blank(item) {
    // Nested lists keep only their first group.
    item.querySelectorAll(".repeat-list").forEach(function (list) {
      items(list).slice(1).forEach(function (extra) { extra.remove(); });
    });
    item.querySelectorAll(".error-message").forEach(function (el) { el.remove(); });
    item.querySelectorAll(".field-error").forEach(function (el) { el.classList.remove("field-error"); });
    item.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    item.querySelectorAll("input, textarea, select").forEach(function (input) {
      if (input.tagName === "SELECT") input.selectedIndex = 0;
      else if (input.type === "checkbox" || input.type === "radio") input.checked = false;
      else input.value = "";
    });
    item.querySelectorAll("button[value^='remove:']").forEach(function (button) { button.remove(); });
  }
  form.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-add]");
    if (!button) return;
    var list = button.closest(".repeat-list");
    var current = items(list);
    if (!current.length) return; // let the server add the first one
    event.preventDefault();
    var prefix = list.getAttribute("data-list");
    var last = current[current.length - 1];
    var lastId = last.getAttribute("data-item");
    var max = current.reduce(function (m, item) {
      var n = parseInt(item.getAttribute("data-item").slice(prefix.length + 1), 10);
      return isNaN(n) ? m : Math.max(m, n);
    }, -1);
    var clone = last.cloneNode(true);
    var newId = prefix + "-" + (max + 1);
    [clone].concat(Array.prototype.slice.call(clone.querySelectorAll("*"))).forEach(function (el) {
      rename(el, lastId, newId);
    });
    blank(clone);
    button.insertAdjacentElement("beforebegin", clone);
    renumberAll();
    var first = clone.querySelector("input:not([type=hidden]), textarea, select");
    if (first) first.focus();
    form.dispatchEvent(new Event("input", { bubbles: true }));
  });

  // -- activities: the outputs to link to, as typed --
  form.addEventListener("focusin", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[name$='-output']")) return;
    var chosen = select.value;
    var options = [select.options[0].cloneNode(true)];
    form.querySelectorAll("[data-output]").forEach(function (output) {
      var code = output.querySelector("[data-code]").textContent.trim();
      var text = (output.querySelector("textarea") || {}).value || "";
      var option = document.createElement("option");
      option.value = code;
      option.textContent = code + (text ? " " + text.trim().slice(0, 60) : "");
      options.push(option);
    });
    if (chosen && !options.some(function (o) { return o.value === chosen; })) {
      var keep = document.createElement("option");
      keep.value = chosen;
      keep.textContent = chosen;
      options.push(keep);
    }
    select.textContent = "";
    options.forEach(function (o) { select.appendChild(o); });
    select.value = chosen;
  });

  // -- countries: filter and live total --
  var shares = form.querySelector("[data-shares]");
  if (shares) {
    var filter = shares.querySelector("[data-filter]");
    var search = filter ? filter.querySelector("input") : null;
    if (filter && search) {
      filter.hidden = false;
      search.addEventListener("input", function () {
        var q = search.value.trim().toLowerCase();
        shares.querySelectorAll("tr[data-country]").forEach(function (row) {
          var ticked = row.querySelector("input[type=checkbox]").checked;
          row.hidden = q !== "" && !ticked && row.getAttribute("data-country").indexOf(q) === -1;
        });
      });
    }
    var totalEl = shares.querySelector("[data-shares-total]");
    var template = shares.getAttribute("data-total-template");
    var update = function () {
      var cents = 0;
      shares.querySelectorAll("tr[data-country]").forEach(function (row) {
        var box = row.querySelector("input[type=checkbox]");
        var input = row.querySelector("[data-share]");
        var text = input.value.replace("%", "").trim().replace(/^(\d+),(\d{1,2})$/, "$1.$2");
        if (box.checked && /^\d+(\.\d{1,2})?$/.test(text)) {
          // Whole cents of a percent: adding decimals as integers avoids floating-point sums such as 99.99999.
          var parts = text.split(".");
          cents += parseInt(parts[0], 10) * 100 + (parts[1] ? parseInt((parts[1] + "0").slice(0, 2), 10) : 0);
        }
        if (input.value.trim() && !box.checked && document.activeElement === input) box.checked = true;
      });
      var whole = Math.floor(cents / 100);
      var rest = cents % 100;
      var total = rest ? whole + "." + (rest < 10 ? "0" + rest : String(rest)).replace(/0$/, "") : String(whole);
      totalEl.textContent = template.replace("{total}", total);
      totalEl.classList.toggle("over", cents !== 10000);
    };
    shares.addEventListener("input", update);
    shares.addEventListener("change", update);
    update();
  }
})();
