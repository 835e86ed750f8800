// Searches the copy's headline index (offline-search/index.js, loaded before this file) in
// the browser, for the static mirror, where no server can answer /search/. Every word must
// appear in the headline or the summary; headline matches come first, newest first within.
(function () {
  "use strict";
  var root = document.querySelector("[data-offline-search]");
  var index = window.newsdeskSearchIndex;
  if (!root || !index) return;
  var form = root.querySelector("form");
  var input = form.querySelector("input[name=q]");
  var summary = root.querySelector("[data-summary]");
  var list = root.querySelector("[data-results]");
  // The masthead's link home says where pages live: "/" on the site, or the copy's own
  // index.html, which the mirror rewrote relative to this page; in a copy every page is a
  // folder's index.html (a file system has no index pages).
  var home = new URL(document.querySelector(".masthead__name").href);
  var inCopy = home.pathname.endsWith("/index.html");
  var top = inCopy ? new URL(".", home) : new URL("/", home);
  var labels = root.dataset;
  var LIMIT = 50;

  function fold(text) {
    return text.toLocaleLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }
  var prepared = index.map(function (item) {
    return { item: item, title: fold(item[2]), text: fold(item[3] || "") };
  });

  function href(path) {
    var file = path.replace(/^\//, "") + (inCopy && path.endsWith("/") ? "index.html" : "");
    return new URL(file, top).href;
  }

  function result(item) {
    var li = document.createElement("li");
    li.className = "search-result";
    var kind = document.createElement("p");
    kind.className = "search-result__kind";
    kind.textContent = item[0] === "l" ? labels.labelLive : labels.labelArticle;
    var heading = document.createElement("h2");
    heading.className = "card__title";
    var link = document.createElement("a");
    link.href = href(item[1]);
    link.textContent = item[2];
    heading.appendChild(link);
    li.append(kind, heading);
    if (item[3]) {
      var text = document.createElement("p");
      text.className = "search-result__snippet";
      text.textContent = item[3];
      li.appendChild(text);
    }
    if (item[4]) {
      var date = document.createElement("p");
      date.className = "card__meta";
      date.textContent = item[4];
      li.appendChild(date);
    }
    return li;
  }

  function run(query) {
    var words = fold(query).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
    list.replaceChildren();
    if (!words.length) {
      summary.textContent = "";
      return;
    }
    var inTitle = [], elsewhere = [];
    prepared.forEach(function (entry) {
      var all = words.every(function (w) { return entry.title.includes(w) || entry.text.includes(w); });
      if (!all) return;
      var titled = words.every(function (w) { return entry.title.includes(w); });
      (titled ? inTitle : elsewhere).push(entry.item);
    });
    var found = inTitle.concat(elsewhere);
    summary.textContent = (found.length ? labels.labelFound : labels.labelNone)
      .replace("{count}", String(found.length)).replace("{query}", query.trim());
    found.slice(0, LIMIT).forEach(function (item) { list.appendChild(result(item)); });
  }

  var query = new URLSearchParams(window.location.search).get("q") || "";
  input.value = query;
  root.querySelector("[data-needs-script]").hidden = true;
  run(query);
})();
