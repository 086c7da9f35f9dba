/* Autosave of a proposal section while typing.
 *
 * About three seconds after the last change, the section's form is posted as it stands (the same fields, the CSRF
 * token and the section's version) to the same address, asking for JSON:
 *   200 {version, saved_at, message, updates}: the hidden version is updated, "Saved at 14:02" shown;
 *   409 {message}: someone else saved the section; a notice is shown and autosaving STOPS (nothing is overwritten);
 *   422 {errors}: the problems are shown next to the fields; nothing typed is touched.
 * Without JavaScript the Save button does the same through an ordinary page. */
(function () {
  "use strict";
  var DELAY = 3000;
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch || !window.FormData) return;

  var status = form.querySelector("[data-autosave-status]");
  var versionInput = form.querySelector("input[name=version]");
  var conflict = document.querySelector("[data-conflict]");
  var timer = null;
  var inFlight = null;
  var dirty = false;
  var stopped = false;
  var pendingSubmitter = null;

  function say(text) {
    if (status) status.textContent = text;
  }

  function clearProblems() {
    form.querySelectorAll("[data-autosave-error]").forEach(function (el) { el.remove(); });
    form.querySelectorAll("[aria-invalid][data-autosave-invalid]").forEach(function (el) {
      el.removeAttribute("aria-invalid");
      el.removeAttribute("data-autosave-invalid");
    });
    var summary = form.querySelector("[data-error-summary]");
    if (summary && summary.hasAttribute("data-autosave-summary")) summary.hidden = true;
  }

  function showProblems(body) {
    clearProblems();
    var summary = form.querySelector("[data-error-summary]");
    var list = summary ? summary.querySelector("ul") : null;
    if (list) {
      list.textContent = "";
      summary.hidden = false;
      summary.setAttribute("data-autosave-summary", "");
    }
    (body.errors || []).forEach(function (problem) {
      var target = problem.field ? document.getElementById(problem.field) : null;
      if (target) {
        var p = document.createElement("p");
        p.className = "error-message";
        p.setAttribute("data-autosave-error", "");
        p.textContent = problem.message;
        target.insertAdjacentElement("beforebegin", p);
        target.setAttribute("aria-invalid", "true");
        target.setAttribute("data-autosave-invalid", "");
      }
      if (list) {
        var li = document.createElement("li");
        if (problem.field) {
          var a = document.createElement("a");
          a.href = "#" + problem.field;
          a.textContent = problem.message;
          li.appendChild(a);
        } else {
          li.textContent = problem.message;
        }
        list.appendChild(li);
      }
    });
    say(body.message || "");
  }

  function stop(message) {
    stopped = true;
    clearTimeout(timer);
    if (conflict) {
      var text = conflict.querySelector("[data-conflict-message]");
      if (text) text.textContent = message || "";
      conflict.hidden = false;
    }
    say(message || "");
  }

  function save() {
    timer = null;
    if (stopped || !dirty) return Promise.resolve();
    if (inFlight) {
      // A change while a save is on its way: save again when it is back, with the new version.
      return inFlight.then(function () { return save(); });
    }
    dirty = false;
    say(form.getAttribute("data-saving-text") || "");
    var data = new FormData(form);
    var headers = { "Accept": "application/json", "X-Requested-With": "fetch" };
    var token = form.querySelector("input[name=csrf_token]");
    if (token) headers["X-CSRFToken"] = token.value;
    inFlight = fetch(form.getAttribute("action") || window.location.pathname, {
      method: "POST",
      body: data,
      headers: headers,
      credentials: "same-origin"
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {
        throw new Error("not json");
      }
      return response.json().then(function (body) {
        if (response.status === 200) {
          versionInput.value = body.version;
          Object.keys(body.updates || {}).forEach(function (id) {
            var input = document.getElementById(id);
            if (input) input.value = body.updates[id];
          });
          clearProblems();
          say(body.message);
        } else if (response.status === 409) {
          stop(body.message);
        } else if (response.status === 422) {
          showProblems(body);
        } else {
          stop(body.message);
        }
      });
    }).catch(function () {
      dirty = true; // try again at the next change, or with the Save button
      say(form.getAttribute("data-failed-text") || "");
    }).then(function () {
      inFlight = null;
    });
    return inFlight;
  }

  function changed() {
    if (stopped) return;
    dirty = true;
    clearTimeout(timer);
    timer = setTimeout(save, DELAY);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);

  // The Save button (and the add/remove buttons) submit the page as usual; if an autosave is on its way, wait for
  // it so that the page carries the version it produced.
  form.addEventListener("submit", function (event) {
    clearTimeout(timer);
    if (inFlight) {
      event.preventDefault();
      pendingSubmitter = event.submitter || null;
      inFlight.then(function () {
        if (form.requestSubmit) form.requestSubmit(pendingSubmitter); else form.submit();
      });
    }
  });
})();
