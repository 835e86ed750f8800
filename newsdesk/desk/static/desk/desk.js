// The live desk (/desk/). Everything works without this file; it adds:
// - Ctrl+Enter (Cmd+Enter on a Mac) to submit the form you are typing in;
// - no double posts from an impatient second click;
// - the new update's text kept in this tab (sessionStorage) until it has been posted, so a
//   dropped connection or a closed form loses nothing;
// - focus on the error summary when the server sends the form back.
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

  function start() {
    document.querySelectorAll("form[data-desk-form]").forEach(setUp);
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
