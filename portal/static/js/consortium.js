// The consortium page: the call's rules are checked on the server at every page load; this script re-fetches the
// check when the reader comes back to the tab (a partner may have accepted meanwhile) and every minute while the
// page is visible, and redraws the list. Without JavaScript the page shows the same list, as of its loading.
(function () {
  "use strict";
  var box = document.getElementById("consortium-check");
  if (!box || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-check-url");
  var okText = box.getAttribute("data-ok-text");
  var introText = box.getAttribute("data-intro-text");

  function render(data) {
    box.textContent = "";
    if (data.ok) {
      var ok = document.createElement("p");
      ok.className = "ok-message";
      ok.textContent = okText;
      box.appendChild(ok);
      return;
    }
    var intro = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = introText;
    intro.appendChild(strong);
    box.appendChild(intro);
    var list = document.createElement("ul");
    list.className = "problem-list";
    data.problems.forEach(function (problem) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "#" + problem.anchor;
      link.textContent = problem.message;
      item.appendChild(link);
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data) {
          render(data);
        }
      })
      .catch(function () {
        // Offline or signed out: keep what the page shows.
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      refresh();
    }
  });
  window.setInterval(function () {
    if (document.visibilityState === "visible") {
      refresh();
    }
  }, 60000);
})();
