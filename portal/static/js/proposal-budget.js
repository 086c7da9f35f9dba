/* The budget page of a proposal (templates/proposals/budget.html), improved when JavaScript runs:
 * - "Add a line" / "Add a source" add rows here instead of asking the server for blank ones;
 * - line totals, totals per partner and per category, the grand total, the requested amount and the rates are
 *   shown as the user types.
 * For display only: the server reads the same cells again, recomputes everything on save and on every page load,
 * and its figures are the ones that count. The arithmetic here is exact all the same (BigInt in cents and
 * hundredths, no floating point), and amounts are read the way the server reads them (portal/core/amounts.py). */
(function () {
  "use strict";

  var form = document.querySelector("form[data-budget-form]");
  if (!form || typeof BigInt === "undefined") {
    return; // the page works without this script
  }
  var locale = form.getAttribute("data-locale") || document.documentElement.lang || "en";
  var moneyFormat = new Intl.NumberFormat(locale, { style: "currency", currency: "EUR" });
  var rateFormat = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  /* "{}%", or "{} %" in French: the server's own way of writing a rate (proposals/budget.py format_rate). */
  var percentPattern = form.getAttribute("data-percent") || "{}%";

  var SPACES = /[\s\u00a0\u202f_]/g;
  var PLAIN = /^[+-]?(\d+(\.\d+)?|\.\d+)$/;
  var DECIMAL_COMMA = /^[+-]?\d+,\d{1,2}$/;
  var COMMA_THOUSANDS = /^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/;
  var DOT_THOUSANDS = /^[+-]?\d{1,3}(\.\d{3})+,\d+$/;

  /* The number typed, in hundredths (BigInt), or null when blank or not a number with at most two decimals. */
  function parseHundredths(text) {
    var t = String(text || "").replace(SPACES, "").replace(/€/g, "").replace(/EUR/g, "");
    if (!t) return null;
    var n;
    if (PLAIN.test(t)) n = t;
    else if (DECIMAL_COMMA.test(t)) n = t.replace(",", ".");
    else if (COMMA_THOUSANDS.test(t)) n = t.replace(/,/g, "");
    else if (DOT_THOUSANDS.test(t)) n = t.replace(/\./g, "").replace(",", ".");
    else return null;
    var negative = n.charAt(0) === "-";
    n = n.replace(/^[+-]/, "");
    var parts = n.split(".");
    var whole = parts[0] || "0";
    var fraction = (parts[1] || "").replace(/0+$/, "");
    if (fraction.length > 2) return null;
    if (whole.length > 12) return null;
    var value = BigInt(whole) * 100n + BigInt((fraction + "00").slice(0, 2));
    return negative ? -value : value;
  }

  /* Cents (BigInt) as a decimal string, "-1234.05". */
  function centsToString(cents) {
    var negative = cents < 0n;
    var abs = negative ? -cents : cents;
    var whole = abs / 100n;
    var rest = String(abs % 100n).padStart(2, "0");
    return (negative ? "-" : "") + whole + "." + rest;
  }

  function formatMoney(cents) {
    return moneyFormat.format(centsToString(cents));
  }

  /* part / whole in percent with two decimals, rounded "down" or "up" (away from zero); null when whole is
   * zero. As on the server, rates are rounded towards the call's limits, so that a rate shown never seems to meet
   * a rule it breaks (co-financing down, indirect costs and the funding rate up). */
  function rateHundredths(part, whole, rounding) {
    if (whole <= 0n) return null;
    var scaled = part * 10000n;
    var negative = scaled < 0n;
    var abs = negative ? -scaled : scaled;
    var rounded = abs / whole;
    if (rounding === "up" && rounded * whole !== abs) rounded += 1n;
    return negative ? -rounded : rounded;
  }

  function formatRate(hundredths) {
    if (hundredths === null) return "—";
    return percentPattern.replace("{}", rateFormat.format(centsToString(hundredths)));
  }

  function cell(row, name) {
    return row.querySelector("[data-budget-cell='" + name + "']");
  }

  function setOut(key, text) {
    var nodes = form.querySelectorAll("[data-budget-out='" + key + "']");
    for (var i = 0; i < nodes.length; i++) nodes[i].textContent = text;
  }

  function recompute() {
    var byPartner = {};
    var byCategory = {};
    var indirect = 0n;
    var direct = 0n;
    var rows = form.querySelectorAll("[data-budget-lines] tr[data-budget-line]");
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      var output = row.querySelector("[data-budget-line-total]");
      var quantity = parseHundredths(cell(row, "quantity").value);
      var unitCost = parseHundredths(cell(row, "unit_cost").value);
      var category = cell(row, "category").value;
      if (quantity === null || unitCost === null || quantity <= 0n || unitCost < 0n) {
        output.textContent = "—";
        continue;
      }
      // hundredths x cents = 1/10000 of a euro; to the cent, halves up (never negative here).
      var total = (quantity * unitCost + 50n) / 100n;
      output.textContent = formatMoney(total);
      if (!category) continue; // the server will ask for a category; not counted until then
      var partner = cell(row, "partner").value;
      byPartner[partner] = (byPartner[partner] || 0n) + total;
      byCategory[category] = (byCategory[category] || 0n) + total;
      if (category === "indirect") indirect += total;
      else direct += total;
    }
    var cofinancing = 0n;
    var sources = form.querySelectorAll("[data-budget-sources] tr[data-budget-source]");
    for (var j = 0; j < sources.length; j++) {
      var amount = parseHundredths(cell(sources[j], "amount").value);
      if (amount !== null && amount > 0n) cofinancing += amount;
    }
    var outs = form.querySelectorAll("[data-budget-out]");
    for (var k = 0; k < outs.length; k++) {
      var key = outs[k].getAttribute("data-budget-out");
      if (key.indexOf("partner:") === 0) outs[k].textContent = formatMoney(byPartner[key.slice(8)] || 0n);
      else if (key.indexOf("category:") === 0) outs[k].textContent = formatMoney(byCategory[key.slice(9)] || 0n);
    }
    var grand = direct + indirect;
    var requested = grand - cofinancing;
    setOut("direct", formatMoney(direct));
    setOut("indirect", formatMoney(indirect));
    setOut("total", formatMoney(grand));
    setOut("cofinancing", formatMoney(cofinancing));
    setOut("requested", formatMoney(requested));
    setOut("indirect_rate", formatRate(rateHundredths(indirect, direct, "up")));
    setOut("cofinancing_rate", formatRate(rateHundredths(cofinancing, grand, "down")));
    setOut("funding_rate", formatRate(rateHundredths(requested, grand, "up")));
  }

  /* Add a row from its <template>, with the next free index and the next number. */
  function addRow(kind) {
    var template = document.getElementById("budget-" + kind + "-template");
    var body = form.querySelector(kind === "line" ? "[data-budget-lines]" : "[data-budget-sources]");
    if (!template || !body) return;
    var prefix = kind + "-";
    var next = 0;
    var named = body.querySelectorAll("[name^='" + prefix + "']");
    for (var i = 0; i < named.length; i++) {
      var index = parseInt(named[i].name.slice(prefix.length), 10);
      if (!isNaN(index) && index >= next) next = index + 1;
    }
    var number = body.querySelectorAll("tr").length + 1;
    var html = template.innerHTML.replace(/__index__/g, String(next)).replace(/__number__/g, String(number));
    var holder = document.createElement("tbody");
    holder.innerHTML = html;
    var row = holder.querySelector("tr");
    body.appendChild(row);
    var first = row.querySelector(kind === "line" ? "[data-budget-cell='description']" : "input");
    if (first) first.focus();
  }

  var adders = form.querySelectorAll("[data-budget-add]");
  for (var a = 0; a < adders.length; a++) {
    adders[a].hidden = false;
    adders[a].addEventListener("click", function (event) {
      addRow(event.currentTarget.getAttribute("data-budget-add"));
    });
  }
  var serverAdders = form.querySelectorAll("[data-budget-no-js]");
  for (var s = 0; s < serverAdders.length; s++) serverAdders[s].hidden = true;

  form.addEventListener("input", recompute);
  form.addEventListener("change", recompute);
  recompute();
})();
