/* Live feed page: new updates as they are published (Server-Sent Events, or polling where
   a network cuts long connections), a "N new updates" button for readers who have scrolled
   down, announcements for screen readers, and local times on request. The page works without
   this file; it only keeps the page current. docs/live.md describes the events.
   The same script follows a feed embedded under an article (data-embed): there it keeps the
   latest data-limit updates only, and leaves key events and the pinned update to the feed's
   own page; and each running feed on the front page (data-embed data-compact), where an
   update is a time and a headline in a list. */
(function () {
  "use strict";
  // One page may follow several feeds: the front page shows each running feed's latest
  // headlines (data-compact: a list item per update, built here from the event's fields).
  Array.prototype.forEach.call(document.querySelectorAll("[data-live-feed]"), follow);
  players();

// A video link in an update is a card (live/media.py): this shows its "Play it here" button
// (CSS, .has-players) and, when the reader presses it, and only then, puts the provider's
// player in the card, sandboxed. Until then nothing loads from another site.
function players() {
  document.documentElement.classList.add("has-players");
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-player-load]") : null;
    var card = button && button.closest("[data-player]");
    if (!card) return;
    var frame = document.createElement("iframe");
    frame.src = card.dataset.player;
    frame.title = card.dataset.playerTitle || "";
    frame.className = "embed-card__player";
    frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-presentation allow-popups");
    frame.setAttribute("allow", "fullscreen; picture-in-picture; encrypted-media");
    frame.setAttribute("allowfullscreen", "");
    frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
    button.replaceWith(frame);
    frame.focus();
  });
}

// Left at the outer indentation so that the one-feed script's history stays readable.
function follow(root) {
  var $ = function (selector, within) { return (within || root).querySelector(selector); };
  var d = root.dataset;
  var lang = document.documentElement.lang || undefined;
  var zone = d.zone;
  var timeline = $("[data-timeline]");
  var lastSequence = +d.sequence || 0;
  var applied = {}; // update id -> sequence of the version shown (or held back)
  var held = new Map(); // id -> event data, for readers who have scrolled down
  var unseen = new Set(); // ids of new updates the reader has not seen yet (tab title)
  var announcements = [];
  var announceTimer, localTimes = false;
  var baseTitle = document.title;
  var embed = "embed" in d, compact = "compact" in d, limit = +d.limit || 0;
  var dayHeading = d.dayHeading || "h2", headlineLevel = embed ? 4 : 3;

  var UPDATE = ".update[id^='update-']";
  Array.prototype.forEach.call(root.querySelectorAll(UPDATE), function (el) {
    applied[el.id.slice(7)] = +el.dataset.sequence || 0;
  });

  function compactItem(data) { // as home_page.html renders one: time and headline, a link
    var li = document.createElement("li"), link = document.createElement("a");
    var time = document.createElement("time"), headline = document.createElement("span");
    li.className = "update update--compact" + (data.key_event ? " update--key" : "");
    li.id = "update-" + data.id;
    li.dataset.sequence = data.sequence;
    li.dataset.published = data.published_at;
    link.href = timeline.dataset.feedUrl + "#update-" + data.id;
    time.setAttribute("datetime", data.published_at);
    time.dataset.time = "";
    time.textContent = format(new Date(data.published_at), { timeZone: zone, hour: "numeric", minute: "2-digit" });
    headline.className = "update__headline";
    headline.textContent = data.headline;
    link.append(time, " ", headline);
    li.appendChild(link);
    return li;
  }

  function fragment(data) {
    if (compact) return compactItem(data);
    var template = document.createElement("template");
    template.innerHTML = data.html.trim();
    var el = template.content.firstElementChild;
    // The stream renders updates for the feed page (h3 headlines); an embed sits a level down.
    var headline = el.querySelector(".update__headline");
    if (headline && headline.tagName !== "H" + headlineLevel) {
      var heading = document.createElement("h" + headlineLevel);
      heading.className = headline.className;
      heading.append.apply(heading, Array.from(headline.childNodes));
      headline.replaceWith(heading);
    }
    return el;
  }

  function format(date, options) {
    try { return new Intl.DateTimeFormat(lang, options).format(date); }
    catch (e) { return new Intl.DateTimeFormat(undefined, options).format(date); }
  }

  function dayIn(date, timeZone) {
    var parts = {};
    new Intl.DateTimeFormat("en", { timeZone: timeZone, year: "numeric", month: "2-digit", day: "2-digit" })
      .formatToParts(date).forEach(function (p) { parts[p.type] = p.value; });
    return parts.year + "-" + parts.month + "-" + parts.day;
  }

  function countLabel(n) {
    // The template gives the plural forms for 1, 2 and 5 ("{n} new updates"); the browser's
    // plural rules say which one a number takes in the page's language.
    var rules = new Intl.PluralRules(lang), forms = {};
    [[1, d.labelNewOne], [2, d.labelNewFew], [5, d.labelNewMany]].forEach(function (sample) {
      if (sample[1]) forms[rules.select(sample[0])] = sample[1];
    });
    return (forms[rules.select(n)] || d.labelNewMany || "{n}").replace("{n}", n);
  }

  /* --- Times: newsroom zone (as the server wrote them) or the reader's own ------------ */

  function localise(scope) {
    Array.prototype.forEach.call(scope.querySelectorAll("time[data-time]"), function (time) {
      if (!("newsroom" in time.dataset)) time.dataset.newsroom = time.textContent;
      if (!localTimes) { time.textContent = time.dataset.newsroom; return; }
      var date = new Date(time.getAttribute("datetime"));
      if (isNaN(date)) return;
      var short = { hour: "numeric", minute: "2-digit" };
      var own = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (time.dataset.time === "long") short = { dateStyle: "long", timeStyle: "short" };
      else if (dayIn(date, own) !== dayIn(date, zone)) short.month = "short", short.day = "numeric";
      time.textContent = format(date, short);
    });
  }

  var toggle = $("[data-zone-toggle]"), zoneLabel = $("[data-zone-label]");
  if (toggle && zoneLabel && window.Intl && Intl.DateTimeFormat().resolvedOptions().timeZone !== zone) {
    var newsroomLabel = zoneLabel.textContent, showLocal = toggle.textContent;
    toggle.hidden = false;
    toggle.setAttribute("aria-pressed", "false");
    toggle.addEventListener("click", function () {
      localTimes = !localTimes;
      localise(root);
      var own = Intl.DateTimeFormat().resolvedOptions().timeZone;
      zoneLabel.textContent = localTimes ? (d.labelLocal || "").replace("{zone}", own) : newsroomLabel;
      toggle.textContent = localTimes ? d.labelShowNewsroom || showLocal : showLocal;
      toggle.setAttribute("aria-pressed", String(localTimes));
    });
  }

  if ("static" in d) return; // an ended feed or a page of older updates: nothing will change

  /* --- Placing updates ------------------------------------------------------------------ */

  function laterThan(a, b) { // newest first, as the server orders them
    var ta = Date.parse(a.dataset.published), tb = Date.parse(b.dataset.published);
    return ta !== tb ? ta > tb : +a.id.slice(7) > +b.id.slice(7);
  }

  function intoTimeline(el) {
    if (compact) { // one list, newest first, no day headers
      var later = Array.prototype.find.call(timeline.querySelectorAll(UPDATE), function (other) {
        return laterThan(el, other);
      });
      timeline.insertBefore(el, later || null);
      var none = $("[data-empty]", timeline);
      if (none) none.remove();
      return trim();
    }
    var date = new Date(el.dataset.published), key = dayIn(date, zone);
    var day = $('.live__day[data-day="' + key + '"]', timeline);
    if (!day) {
      day = document.createElement("section");
      day.className = "live__day";
      day.dataset.day = key;
      day.setAttribute("aria-labelledby", "day-" + key);
      day.innerHTML = "<" + dayHeading + ' class="live__date" id="day-' + key + '"><time datetime="' + key + '"></time></' + dayHeading + ">";
      $("time", day).textContent = format(date, { timeZone: zone, dateStyle: "long" });
      var next = Array.prototype.find.call(timeline.querySelectorAll(".live__day"), function (s) {
        return s.dataset.day < key;
      });
      timeline.insertBefore(day, next || null);
      var empty = $("[data-empty]", timeline);
      if (empty) empty.remove();
    }
    var after = Array.prototype.find.call(day.querySelectorAll(UPDATE), function (other) {
      return laterThan(el, other);
    });
    day.insertBefore(el, after || null);
    trim();
  }

  function trim() { // an embed keeps its latest `limit` updates, as the server renders it
    if (!limit) return;
    var shown = timeline.querySelectorAll(UPDATE);
    for (var i = shown.length - 1; i >= limit; i--) {
      var day = shown[i].closest(".live__day");
      shown[i].remove();
      if (day && !day.querySelector(UPDATE)) day.remove();
    }
  }

  function pinnedBox() {
    var box = $(".live__pinned");
    if (!box) {
      box = document.createElement("section");
      box.className = "live__pinned";
      box.setAttribute("aria-labelledby", "pinned-heading");
      box.innerHTML = '<h2 id="pinned-heading" class="section-label"></h2>';
      $("h2", box).textContent = d.labelPinned || "";
      root.insertBefore(box, $("[data-new-updates]"));
    }
    return box;
  }

  function place(el, pinned) {
    if (!pinned) return intoTimeline(el);
    var box = pinnedBox();
    Array.prototype.forEach.call(box.querySelectorAll(UPDATE), intoTimeline);
    box.appendChild(el);
  }

  function syncKeyEvent(data, el) {
    if (embed) return; // the feed's own page lists them
    var item = $('[data-key-for="update-' + data.id + '"]');
    var list = $("[data-key-events]");
    if (!data.key_event || !el) {
      if (item) item.remove();
      if (list && !list.children.length) list.closest("nav").remove();
      return;
    }
    if (!list) {
      var nav = document.createElement("nav");
      nav.className = "key-events";
      nav.setAttribute("aria-labelledby", "key-events-heading");
      nav.innerHTML = '<h2 id="key-events-heading"></h2><ol data-key-events></ol>';
      $("h2", nav).textContent = d.labelKeyEvents || "";
      root.insertBefore(nav, $(".live__pinned") || $("[data-new-updates]"));
      list = $("ol", nav);
    }
    var fresh = document.createElement("li"), link = document.createElement("a");
    fresh.dataset.keyFor = "update-" + data.id;
    link.href = "#update-" + data.id;
    var time = $("time[data-time]", el);
    if (time) link.append(time.cloneNode(true), " ");
    link.append(data.headline);
    fresh.appendChild(link);
    if (item) return item.replaceWith(fresh);
    var stamp = Date.parse(el.dataset.published);
    var before = Array.prototype.find.call(list.children, function (li) {
      var other = document.getElementById(li.dataset.keyFor);
      return other && Date.parse(other.dataset.published) < stamp;
    });
    list.insertBefore(fresh, before || null);
  }

  function show(data, highlight) {
    var el = fragment(data);
    if (localTimes) localise(el);
    if (highlight) el.classList.add("update--new");
    place(el, data.pinned);
    syncKeyEvent(data, el);
    return el;
  }

  /* --- Telling the reader --------------------------------------------------------------- */

  function readerIsBelowTop() {
    // A compact list keeps its length (one in, the oldest out): nothing below it moves.
    if (compact) return false;
    return window.scrollY > timeline.getBoundingClientRect().top + window.scrollY;
  }

  function refresh() {
    var box = $("[data-new-updates]"), button = $("[data-show-new]");
    if (box && button) {
      box.hidden = !held.size;
      button.textContent = countLabel(held.size);
    }
    // The title counts one feed's news, on its own page or an article's; not on the front page.
    if (!compact) document.title = unseen.size ? "(" + unseen.size + ") " + baseTitle : baseTitle;
  }

  function announce(headline) {
    announcements.push(headline);
    clearTimeout(announceTimer);
    announceTimer = setTimeout(function () {
      var region = $("[data-announcer]"), n = announcements.length;
      if (region) {
        region.textContent = n === 1
          ? (d.labelAnnounce || "{headline}").replace("{headline}", announcements[0])
          : countLabel(n) + ": " + announcements.join("; ");
      }
      announcements = [];
    }, 1000);
  }

  var showButton = $("[data-show-new]");
  if (showButton) showButton.addEventListener("click", function () {
    var shown = Array.from(held.values()).sort(function (a, b) { return a.sequence - b.sequence; }).map(function (data) {
      unseen.delete(String(data.id));
      return show(data, true);
    });
    held.clear();
    refresh();
    if (!shown.length) return;
    var first = shown.reduce(function (a, b) {
      return a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_PRECEDING ? b : a;
    });
    (first.closest(".live__pinned") || timeline).scrollIntoView({ block: "start" });
    first.setAttribute("tabindex", "-1");
    first.focus({ preventScroll: true });
  });

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) return;
    unseen.forEach(function (id) { if (!held.has(id)) unseen.delete(id); });
    refresh();
  });

  /* --- Applying changes ----------------------------------------------------------------- */

  function apply(type, data) {
    var id = String(data.id);
    if (data.sequence <= (applied[id] || 0)) return; // already shown: replayed or duplicated
    applied[id] = data.sequence;
    if (data.sequence > lastSequence) lastSequence = data.sequence;
    var el = document.getElementById("update-" + id);
    if (embed && data.pinned && type !== "delete") { // the feed's page shows it, not the embed
      if (el) el.remove();
      held.delete(id);
      return refresh();
    }
    if (type === "delete") {
      if (el) el.remove();
      held.delete(id);
      unseen.delete(id);
      syncKeyEvent(data, null);
      var box = $(".live__pinned");
      if (box && !$("article", box)) box.remove();
    } else if (el) {
      var fresh = fragment(data);
      if (localTimes) localise(fresh);
      var inBox = !!el.closest(".live__pinned");
      var toBox = data.pinned && (el.classList.contains("update--pinned") ? inBox : true);
      if (toBox !== inBox || fresh.dataset.published !== el.dataset.published) {
        el.remove();
        place(fresh, toBox);
        var emptied = $(".live__pinned");
        if (emptied && !$("article", emptied)) emptied.remove();
      } else {
        el.replaceWith(fresh);
      }
      syncKeyEvent(data, fresh);
    } else if (held.has(id)) {
      held.set(id, data);
    } else {
      var all = timeline.querySelectorAll(UPDATE), oldest = all[all.length - 1];
      var older = $(".live__older a[rel=next]") || (limit && all.length >= limit);
      if (older && oldest && Date.parse(data.published_at) < Date.parse(oldest.dataset.published)) {
        return; // belongs to a page of older updates, or below what an embed shows
      }
      if (document.hidden) unseen.add(id);
      if (readerIsBelowTop()) {
        held.set(id, data);
        unseen.add(id);
      } else {
        show(data, true);
      }
      announce(data.headline);
    }
    refresh();
  }

  function handle(type) {
    return function (event) {
      try { apply(type, JSON.parse(event.data)); }
      catch (e) { if (window.console) console.warn("live: bad event", e); }
    };
  }

  /* --- Connection: Server-Sent Events, polling when they do not get through ------------- */

  // After falling back to polling the page tries the stream again, later each time, at a
  // random point of the wait: a 502 during a failover or a restart of Pushpin would otherwise
  // leave every open page polling for good, and all of them coming back at once.
  var STREAM_RETRY_MS = [30000, 60000, 120000, 300000];
  var errors = [], polling = false, pollTimer = null, streamRetries = 0, source = null;

  function poll() {
    if (!polling) return;
    fetch(d.pollUrl + "?after=" + lastSequence, { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (body) {
        if (body.reload) return location.reload();
        (body.events || []).forEach(function (event) { apply(event.type, event); });
        if (body.last > lastSequence) lastSequence = body.last;
        schedulePoll(body.more ? 0 : 5000);
      })
      .catch(function () { schedulePoll(5000); });
  }

  function schedulePoll(wait) {
    if (polling) pollTimer = setTimeout(poll, wait);
  }

  function startPolling() {
    if (polling) return;
    polling = true;
    schedulePoll(0);
  }

  function stopPolling() {
    polling = false;
    clearTimeout(pollTimer);
  }

  function fallBack() {
    source.close();
    source = null;
    startPolling();
    var wait = STREAM_RETRY_MS[Math.min(streamRetries, STREAM_RETRY_MS.length - 1)];
    streamRetries += 1;
    setTimeout(connect, wait * (0.5 + Math.random()));
  }

  function connect() {
    errors = [];
    // From the last update shown, whichever way it came: nothing is missed or shown twice.
    source = new EventSource(d.eventsUrl + "?after=" + lastSequence);
    source.addEventListener("open", function () {
      stopPolling();
      streamRetries = 0;
    });
    source.addEventListener("update", handle("update"));
    source.addEventListener("delete", handle("delete"));
    source.addEventListener("reload", function () { location.reload(); });
    source.addEventListener("error", function () {
      // A stream that fails three times within 30 seconds (a proxy that cuts or buffers long
      // responses, say) is given up for polling; the browser retries odd failures by itself.
      var now = Date.now();
      errors = errors.filter(function (t) { return now - t < 30000; });
      errors.push(now);
      if (source && (source.readyState === EventSource.CLOSED || errors.length >= 3)) fallBack();
    });
  }

  if (!window.EventSource) return startPolling();
  connect();
}
})();
