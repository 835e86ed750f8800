// The live desk (/desk/). Everything works without this file; it adds:
// - Ctrl+Enter (Cmd+Enter on a Mac) to submit the form you are typing in;
// - no double posts from an impatient second click;
// - the new update's text kept in this tab (sessionStorage) until it has been posted, so a
//   dropped connection or a closed form loses nothing;
// - focus on the error summary when the server sends the form back;
// - the Incoming column kept current from its event stream, filtered as you type, with keys
//   (Alt+I to go there, j/k to move, u to use, a to start an article, x to dismiss) and a
//   tone for alert words.
(function () {
  "use strict";

  var TEXT_FIELDS = ["headline", "body", "source_name", "source_channel", "source_url",
    "image_alt", "image_caption", "image_credit", "embed_url"];

  function submit(form) {
    if (form.requestSubmit) {
      form.requestSubmit();
    } else if (form.dispatchEvent(new Event("submit", { cancelable: true }))) {
      form.submit();
    }
  }

  function storage() {
    try {
      return window.sessionStorage;
    } catch (error) {
      return null; // storage disabled: the desk still works, it just keeps nothing
    }
  }

  function keepText(form) {
    var store = storage();
    var key = form.getAttribute("data-keep-text");
    if (!store || !key) return;
    key = "newsdesk:" + key;

    if (form.hasAttribute("data-just-posted")) {
      store.removeItem(key);
    }

    var fields = TEXT_FIELDS.map(function (name) { return form.elements[name]; })
      .filter(Boolean);

    var saved = null;
    try {
      saved = JSON.parse(store.getItem(key) || "null");
    } catch (error) {
      store.removeItem(key);
    }
    var empty = fields.every(function (field) { return !field.value.trim(); });
    if (saved && empty && !form.hasAttribute("data-has-errors")) {
      fields.forEach(function (field) {
        if (typeof saved[field.name] === "string") field.value = saved[field.name];
      });
      var notice = document.createElement("p");
      notice.className = "restored";
      notice.setAttribute("role", "status");
      notice.textContent =
        (form.getAttribute("data-restored-message") || "Restored text you had not posted yet.") + " ";
      var discard = document.createElement("button");
      discard.type = "button";
      discard.className = "link-button";
      discard.textContent = form.getAttribute("data-discard-label") || "Discard it";
      discard.addEventListener("click", function () {
        fields.forEach(function (field) { field.value = ""; });
        store.removeItem(key);
        notice.remove();
        form.elements.headline.focus();
      });
      notice.appendChild(discard);
      form.insertBefore(notice, form.firstChild);
    }

    form.addEventListener("input", function () {
      var values = {};
      var any = false;
      fields.forEach(function (field) {
        values[field.name] = field.value;
        any = any || Boolean(field.value.trim());
      });
      if (any) {
        store.setItem(key, JSON.stringify(values));
      } else {
        store.removeItem(key);
      }
    });
  }

  function setUp(form) {
    form.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.isComposing) {
        event.preventDefault();
        submit(form);
      }
    });

    form.addEventListener("submit", function (event) {
      if (form.hasAttribute("data-submitting")) {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-submitting", "");
      form.setAttribute("aria-busy", "true");
    });

    keepText(form);
  }

  // --- Incoming ----------------------------------------------------------------------------

  var MUTE_KEY = "newsdesk:incoming-muted";

  function localStore() {
    try {
      return window.localStorage;
    } catch (error) {
      return null;
    }
  }

  function tone(audio) {
    // A short two-note chime, made here: no sound file.
    var now = audio.currentTime;
    [880, 660].forEach(function (frequency, index) {
      var oscillator = audio.createOscillator();
      var gain = audio.createGain();
      var start = now + index * 0.16;
      oscillator.type = "sine";
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.15);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(start);
      oscillator.stop(start + 0.16);
    });
  }

  function setUpIncoming(column) {
    var list = column.querySelector("[data-incoming-items]");
    var empty = column.querySelector("[data-incoming-empty]");
    var status = column.querySelector("[data-incoming-status]");
    var sourceFilter = column.querySelector("select[name=source]");
    var textFilter = column.querySelector("input[name=q]");
    var store = localStore();
    var audio = null;
    var muted = store ? store.getItem(MUTE_KEY) === "1" : false;

    // The sound needs a click or key first (browsers' autoplay rule); a button to mute it.
    var mute = document.createElement("button");
    mute.type = "button";
    mute.className = "button button--secondary incoming__mute";
    function showMute() {
      mute.setAttribute("aria-pressed", muted ? "true" : "false");
      // One label; aria-pressed says whether it is on (a label that flips would contradict it).
      mute.textContent = column.getAttribute("data-mute-label");
      column.setAttribute("data-muted", muted ? "1" : "");
    }
    mute.addEventListener("click", function () {
      muted = !muted;
      if (store) store.setItem(MUTE_KEY, muted ? "1" : "0");
      showMute();
    });
    showMute();
    column.querySelector("h2").after(mute);
    function wakeAudio() {
      if (!audio && window.AudioContext) audio = new window.AudioContext();
      if (audio && audio.state === "suspended") audio.resume();
    }
    document.addEventListener("keydown", wakeAudio);
    document.addEventListener("click", wakeAudio);

    function matches(card) {
      var source = sourceFilter ? sourceFilter.value : "";
      var text = textFilter ? textFilter.value.trim().toLocaleLowerCase() : "";
      if (source && card.getAttribute("data-source") !== source) return false;
      return !text || card.textContent.toLocaleLowerCase().indexOf(text) !== -1;
    }

    function filter() {
      var shown = 0;
      list.querySelectorAll("[data-item]").forEach(function (card) {
        card.hidden = !matches(card);
        if (!card.hidden) shown += 1;
      });
      empty.hidden = shown > 0;
    }
    if (sourceFilter) sourceFilter.addEventListener("change", filter);
    if (textFilter) textFilter.addEventListener("input", filter);

    function prepare(card) {
      // Cards from the stream are rendered once for every desk: this desk adds its rights
      // and its CSRF token.
      if (!column.getAttribute("data-can-use")) {
        card.querySelectorAll("[data-needs=use]").forEach(function (el) { el.remove(); });
      }
      if (!column.getAttribute("data-can-article")) {
        card.querySelectorAll("[data-needs=article]").forEach(function (el) { el.remove(); });
      }
      card.querySelectorAll("form[method=post]").forEach(function (form) {
        if (form.elements.csrfmiddlewaretoken) return;
        var token = document.createElement("input");
        token.type = "hidden";
        token.name = "csrfmiddlewaretoken";
        token.value = column.getAttribute("data-csrf") || "";
        form.prepend(token);
      });
    }

    function arrive(data) {
      var holder = document.createElement("template");
      holder.innerHTML = data.html.trim();
      var card = holder.content.firstElementChild;
      if (!card) return;
      prepare(card);
      var old = document.getElementById(card.id);
      var focused = old && old.contains(document.activeElement);
      if (old) old.remove();
      card.classList.add("incoming__item--new");
      list.prepend(card);
      card.hidden = !matches(card);
      if (!card.hidden) empty.hidden = true;
      if (focused) card.focus();
      if (data.alert && !card.hidden) {
        var headline = card.querySelector(".incoming__headline");
        var source = card.querySelector(".incoming__source");
        status.textContent = [
          column.getAttribute("data-new-label") || "",
          source ? source.textContent : "",
          "—",
          headline ? headline.textContent : "",
        ].join(" ");
        if (data.sound && !muted && audio && audio.state === "running") tone(audio);
      }
    }

    if (window.EventSource) {
      var url = column.getAttribute("data-events") + "?after=" +
        encodeURIComponent(column.getAttribute("data-position") || "0");
      var events = new EventSource(url);
      events.addEventListener("open", function () {
        column.setAttribute("data-connected", "");
        status.textContent = "";
      });
      events.addEventListener("item", function (event) {
        arrive(JSON.parse(event.data));
      });
      events.addEventListener("dismiss", function (event) {
        JSON.parse(event.data).items.forEach(function (id) {
          var card = document.getElementById("incoming-" + id);
          if (!card) return;
          if (card.contains(document.activeElement)) {
            var next = card.nextElementSibling || card.previousElementSibling;
            if (next) next.focus();
          }
          card.remove();
        });
        empty.hidden = Boolean(list.querySelector("[data-item]:not([hidden])"));
      });
      events.addEventListener("reload", function () {
        events.close();
        status.textContent = column.getAttribute("data-reload-label") || "";
      });
    }

    // Keys, when not typing: j/k move between items, u uses, a starts an article, x dismisses.
    document.addEventListener("keydown", function (event) {
      // Alt+I from anywhere, the update form included: to the first item shown.
      if (event.altKey && !event.ctrlKey && !event.metaKey && event.code === "KeyI") {
        var first = list.querySelector("[data-item]:not([hidden])");
        event.preventDefault();
        if (first) {
          first.focus();
        } else {
          column.querySelector("h2").setAttribute("tabindex", "-1");
          column.querySelector("h2").focus();
        }
        return;
      }
      if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
      var target = event.target;
      if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
      var cards = Array.prototype.filter.call(
        list.querySelectorAll("[data-item]"), function (card) { return !card.hidden; });
      var current = target.closest ? target.closest("[data-item]") : null;
      var index = cards.indexOf(current);
      var key = event.key;
      if (key === "j" || key === "k") {
        var next = key === "j" ? index + 1 : index - 1;
        if (index === -1) next = 0;
        if (cards[next]) {
          event.preventDefault();
          cards[next].focus();
        }
        return;
      }
      var actions = { u: "use", a: "article", x: "dismiss" };
      if (current && actions[key]) {
        var control = current.querySelector("[data-action=" + actions[key] + "]");
        if (control) {
          event.preventDefault();
          control.click();
        }
      }
    });
  }

  function start() {
    document.querySelectorAll("form[data-desk-form]").forEach(setUp);
    document.querySelectorAll("[data-incoming]").forEach(setUpIncoming);
    var summary = document.querySelector("[data-error-summary]");
    if (summary) summary.focus();
  }

  // Back/forward cache: a page restored from it must accept a new submit.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-submitting]").forEach(function (form) {
      form.removeAttribute("data-submitting");
      form.removeAttribute("aria-busy");
    });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
