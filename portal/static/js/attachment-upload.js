/* The attachments page: each chosen file is sent on its own, with a progress bar, and a file that fails (the
 * connection dropped, or the portal refused it) gets a Retry button; the other files and the form stay as they are.
 * Without JavaScript the form posts every chosen file at once and the server keeps the good ones (same result).
 * The texts come from the form's data-* attributes, translated by the server. */
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.FormData || !window.XMLHttpRequest || !window.DOMParser) return;
  var queueList = form.querySelector("[data-upload-queue]");
  var summary = form.querySelector("[data-upload-summary]");
  if (!queueList || !summary) return;
  // form.action would be the hidden input named "action", not the form's address.
  var address = form.getAttribute("action");

  function text(name, values) {
    var t = form.getAttribute("data-text-" + name) || "";
    Object.keys(values || {}).forEach(function (k) { t = t.split("%(" + k + ")s").join(values[k]); });
    return t;
  }

  function chosenInputs() {
    return Array.prototype.filter.call(
      document.querySelectorAll("input[type=file][form=upload-form]"),
      function (input) { return input.files && input.files.length > 0; }
    );
  }

  // The refusal the server wrote for this field on the page it sent back (a 422 page, or the 413 error page).
  function serverMessage(xhr, field) {
    try {
      var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
      var node = doc.getElementById(field + "-error") || doc.querySelector(".error-summary li") ||
        doc.querySelector("main p:not(.meta)");
      if (node && node.textContent.trim()) return node.textContent.replace(/\s+/g, " ").trim();
    } catch (e) { /* fall through to the generic text */ }
    return text("refused");
  }

  var items = [];
  var busy = false;

  function makeItem(input) {
    var li = document.createElement("li");
    li.className = "upload-item";
    var name = document.createElement("span");
    name.className = "upload-name";
    var progress = document.createElement("progress");
    progress.max = 100;
    progress.value = 0;
    var status = document.createElement("span");
    status.className = "upload-status";
    var retry = document.createElement("button");
    retry.type = "button";
    retry.className = "button button-secondary button-small";
    retry.textContent = text("retry");
    retry.hidden = true;
    li.appendChild(name);
    li.appendChild(progress);
    li.appendChild(status);
    li.appendChild(retry);
    queueList.appendChild(li);
    var item = { input: input, li: li, name: name, progress: progress, status: status, retry: retry, state: "waiting" };
    retry.addEventListener("click", function () {
      if (!item.input.files || !item.input.files.length) {
        item.status.textContent = text("choose");
        item.input.focus();
        return;
      }
      item.state = "waiting";
      item.retry.hidden = true;
      run();
    });
    return item;
  }

  function setState(item, state, message) {
    item.state = state;
    item.li.setAttribute("data-state", state);
    item.status.textContent = message;
    item.retry.hidden = state !== "failed";
  }

  function send(item, done) {
    var file = item.input.files[0];
    item.name.textContent = file.name;
    item.progress.value = 0;
    item.progress.setAttribute("aria-label", text("progress", { name: file.name }));
    setState(item, "sending", text("sending", { name: file.name, percent: "0" }));
    var data = new FormData();
    data.append("csrf_token", form.querySelector("input[name=csrf_token]").value);
    data.append("action", "upload");
    data.append(item.input.name, file);
    if (item.input.name === "file-other") {
      var title = document.getElementById("title-other");
      if (title) data.append("title-other", title.value);
    }
    var xhr = new XMLHttpRequest();
    var lastSaid = 0;
    xhr.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable) return;
      var percent = Math.floor((event.loaded / event.total) * 100);
      item.progress.value = percent;
      // Screen readers hear every quarter, not every packet.
      if (percent - lastSaid >= 25 || percent === 100) {
        lastSaid = percent;
        item.status.textContent = text("sending", { name: file.name, percent: String(percent) });
      }
    });
    xhr.addEventListener("load", function () {
      if (xhr.status >= 200 && xhr.status < 300) {
        item.progress.value = 100;
        item.input.value = ""; // sent: a later submission of the form must not send it again
        setState(item, "sent", text("sent", { name: file.name }));
      } else {
        setState(item, "failed", text("failed", { name: file.name, reason: serverMessage(xhr, item.input.name) }));
      }
      done();
    });
    function interrupted() {
      setState(item, "failed", text("failed", { name: file.name, reason: text("network") }));
      done();
    }
    xhr.addEventListener("error", interrupted);
    xhr.addEventListener("abort", interrupted);
    xhr.addEventListener("timeout", interrupted);
    xhr.open("POST", address);
    xhr.setRequestHeader("Accept", "text/html");
    xhr.send(data);
  }

  // One file at a time: on a slow connection each file then gets the whole bandwidth and finishes sooner.
  function run() {
    if (busy) return;
    var next = items.filter(function (i) { return i.state === "waiting"; })[0];
    if (!next) {
      var failed = items.filter(function (i) { return i.state === "failed"; });
      if (!failed.length) {
        summary.textContent = text("all-sent");
        window.location.assign(address);
        return;
      }
      summary.textContent = text("some-failed", { count: String(failed.length) });
      failed[0].retry.focus();
      return;
    }
    busy = true;
    send(next, function () { busy = false; run(); });
  }

  form.addEventListener("submit", function (event) {
    var inputs = chosenInputs();
    if (!inputs.length || busy) return; // nothing chosen: the server says so, as without JavaScript
    event.preventDefault();
    items = items.filter(function (i) { return i.state === "sent"; });
    queueList.querySelectorAll(".upload-item:not([data-state=sent])").forEach(function (li) { li.remove(); });
    inputs.forEach(function (input) { items.push(makeItem(input)); });
    queueList.hidden = false;
    summary.textContent = "";
    run();
  });
})();
