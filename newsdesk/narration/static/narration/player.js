// The listen player. The page already works without this: it has a native <audio controls>.
// This module swaps in accessible controls (play, skip 15 s, speed, a labelled seek slider),
// highlights the block being read, adds "play from here" buttons, and remembers where each
// reader stopped. Markup and every visible string come from narration/player.html.

const SKIP_SECONDS = 15;
const SAVE_EVERY_SECONDS = 5;
const RESUME_AFTER_SECONDS = 5; // less than this is not worth offering to resume
const FINISHED_WITHIN_SECONDS = 10; // this close to the end counts as finished
const SPEED_KEY = "newsdesk:listen:speed";

function clock(seconds) {
  const whole = Math.max(0, Math.floor(seconds || 0));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = String(whole % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
}

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (placeholder, name) => values[name] ?? placeholder);
}

// Private browsing and full disks make localStorage throw; the player works without it.
const storage = {
  get(key) {
    try {
      return JSON.parse(localStorage.getItem(key));
    } catch {
      return null;
    }
  },
  set(key, value) {
    try {
      localStorage.setItem(key, JSON.stringify(value));
    } catch {
      /* nothing to do: the position is simply not remembered */
    }
  },
  remove(key) {
    try {
      localStorage.removeItem(key);
    } catch {
      /* as above */
    }
  },
};

function excerpt(element, words = 8) {
  const text = element.textContent.trim().split(/\s+/);
  return text.slice(0, words).join(" ") + (text.length > words ? "…" : "");
}

class Player {
  constructor(root) {
    this.root = root;
    this.labels = root.dataset;
    this.audio = root.querySelector("[data-player-audio]");
    this.toggleButton = root.querySelector('[data-action="toggle"]');
    this.playLabel = root.querySelector("[data-play-label]");
    this.seek = root.querySelector("[data-seek]");
    this.currentText = root.querySelector("[data-time-current]");
    this.speed = root.querySelector("[data-speed]");
    this.resumeBox = root.querySelector("[data-resume]");
    this.resumeButton = root.querySelector('[data-action="resume"]');
    this.errorBox = root.querySelector("[data-player-error]");
    this.duration = Number.parseFloat(root.dataset.duration) || 0;
    this.storageKey = root.dataset.storageKey;
    this.src = this.audio.getAttribute("src");
    this.targets = this.findTargets();
    this.playFromButtons = [];
    this.active = false;
    this.highlighted = null;
    this.shownSecond = -1;
    this.savedAt = 0;
    this.resumeAt = null;
  }

  // The timings in playing order, each with a way to find the element that shows its words.
  findTargets() {
    const source = document.getElementById(this.root.dataset.timings);
    let timings = [];
    try {
      timings = JSON.parse(source.textContent);
    } catch {
      timings = [];
    }
    const attribute = this.root.dataset.highlight;
    const find = (key) =>
      attribute ? document.querySelector(`[${attribute}="${CSS.escape(key)}"]`) : null;
    return timings
      .filter((timing) => typeof timing.start === "number" && typeof timing.key === "string")
      .sort((a, b) => a.start - b.start)
      .map((timing) => ({
        key: timing.key,
        start: timing.start,
        // Looked up each time: the live page redraws its key events list as updates arrive.
        // A briefing reads "update-7-time", "update-7" and "update-7-body" for one key event.
        element: () => find(timing.key) || find(timing.key.replace(/-(time|body)$/, "")),
      }));
  }

  start() {
    this.audio.controls = false;
    this.root.querySelector("[data-player-controls]").hidden = false;
    this.root.classList.add("listen--enhanced");

    this.toggleButton.addEventListener("click", () => this.toggle());
    this.root.querySelector('[data-action="back"]').addEventListener("click", () => this.skip(-SKIP_SECONDS));
    this.root.querySelector('[data-action="forward"]').addEventListener("click", () => this.skip(SKIP_SECONDS));
    this.resumeButton.addEventListener("click", () => this.resume());
    this.seek.addEventListener("input", () => this.seekTo(Number(this.seek.value)));
    this.speed.addEventListener("change", () => this.setSpeed(Number(this.speed.value), true));

    const audio = this.audio;
    audio.addEventListener("play", () => this.onPlayState());
    audio.addEventListener("pause", () => {
      this.onPlayState();
      this.save();
    });
    audio.addEventListener("timeupdate", () => this.onTime());
    audio.addEventListener("seeked", () => this.onTime());
    audio.addEventListener("ended", () => {
      storage.remove(this.storageKey);
      this.mark(null);
    });
    audio.addEventListener("error", () => this.showError());
    audio.addEventListener("ratechange", () => {
      if (this.speed.value !== String(audio.playbackRate)) this.speed.value = String(audio.playbackRate);
    });
    window.addEventListener("pagehide", () => this.save());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") this.save();
    });

    this.restoreSpeed();
    this.addPlayFromButtons();
    this.offerResume();
    this.onPlayState();
    this.onTime();
  }

  // --- Playing -------------------------------------------------------------------------

  play() {
    // Another player on the page stops: two voices at once help nobody.
    for (const other of document.querySelectorAll("[data-player-audio]")) {
      if (other !== this.audio) other.pause();
    }
    const started = this.audio.play();
    if (started) {
      started.catch((error) => {
        if (error.name === "NotSupportedError") this.showError();
      });
    }
  }

  toggle() {
    if (this.audio.paused) this.play();
    else this.audio.pause();
  }

  seekTo(seconds) {
    this.audio.currentTime = Math.min(Math.max(seconds, 0), this.duration);
    this.onTime();
  }

  skip(seconds) {
    this.seekTo(this.audio.currentTime + seconds);
  }

  playFrom(seconds) {
    this.hideResume();
    this.seekTo(seconds);
    this.play();
  }

  setSpeed(rate, remember) {
    if (!Number.isFinite(rate) || rate <= 0) return;
    // The default rate survives the media load that the first play starts; the rate does not.
    this.audio.defaultPlaybackRate = rate;
    this.audio.playbackRate = rate;
    if (remember) storage.set(SPEED_KEY, rate);
  }

  restoreSpeed() {
    const rate = storage.get(SPEED_KEY);
    const option = [...this.speed.options].find((o) => Number(o.value) === rate);
    if (option) {
      this.speed.value = option.value;
      this.setSpeed(rate, false);
    }
  }

  // --- What the reader sees ------------------------------------------------------------

  onPlayState() {
    const playing = !this.audio.paused;
    this.root.classList.toggle("is-playing", playing);
    this.playLabel.textContent = playing ? this.labels.labelPause : this.labels.labelPlay;
    if (playing) {
      this.activate();
      this.hideResume();
      this.updateMediaSession();
    }
  }

  onTime() {
    const time = this.audio.currentTime;
    if (time > 0) this.activate();
    const second = Math.floor(time);
    if (second !== this.shownSecond) {
      this.shownSecond = second;
      this.seek.value = String(second);
      this.currentText.textContent = clock(time);
      this.seek.setAttribute(
        "aria-valuetext",
        fill(this.labels.labelPosition, { current: clock(time), total: clock(this.duration) }),
      );
      const progress = this.duration ? Math.min(100, (time / this.duration) * 100) : 0;
      this.seek.style.setProperty("--progress", `${progress.toFixed(2)}%`);
    }
    if (this.active) this.mark(this.timingAt(time)?.element() ?? null);
    if (!this.audio.paused && Math.abs(time - this.savedAt) >= SAVE_EVERY_SECONDS) this.save();
  }

  timingAt(time) {
    let found = null;
    for (const target of this.targets) {
      if (target.start > time + 0.05) break;
      found = target;
    }
    return found;
  }

  // A visual cue only: aria-current means "the current item in a set", which this is not.
  mark(element) {
    if (element === this.highlighted) return;
    this.highlighted?.classList.remove("is-being-read");
    element?.classList.add("is-being-read");
    this.highlighted = element;
  }

  activate() {
    if (this.active) return;
    this.active = true;
    this.root.classList.add("is-active");
    for (const button of this.playFromButtons) button.hidden = false;
  }

  addPlayFromButtons() {
    if (!("playFrom" in this.root.dataset)) return;
    for (const target of this.targets) {
      const element = target.element();
      if (!element || element.querySelector(".listen-from")) continue;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "listen-from";
      button.hidden = true;
      button.innerHTML =
        '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M8 5.5v13l10.5-6.5z" fill="currentColor"/></svg>';
      const label = document.createElement("span");
      label.className = "visually-hidden";
      label.textContent = `${this.labels.labelPlayFrom}: ${excerpt(element)}`;
      button.append(label);
      button.addEventListener("click", () => this.playFrom(target.start));
      element.prepend(button);
      this.playFromButtons.push(button);
    }
  }

  showError() {
    this.errorBox.textContent = this.labels.labelError;
  }

  updateMediaSession() {
    if (!("mediaSession" in navigator) || typeof MediaMetadata === "undefined") return;
    const title = document.querySelector("h1")?.textContent.trim() || document.title;
    navigator.mediaSession.metadata = new MediaMetadata({ title });
    const actions = {
      play: () => this.play(),
      pause: () => this.audio.pause(),
      seekbackward: () => this.skip(-SKIP_SECONDS),
      seekforward: () => this.skip(SKIP_SECONDS),
    };
    for (const [action, handler] of Object.entries(actions)) {
      try {
        navigator.mediaSession.setActionHandler(action, handler);
      } catch {
        /* an action this browser does not know */
      }
    }
  }

  // --- Remembering where the reader stopped --------------------------------------------

  save() {
    const time = this.audio.currentTime;
    this.savedAt = time;
    if (time < RESUME_AFTER_SECONDS || time > this.duration - FINISHED_WITHIN_SECONDS) {
      if (this.active) storage.remove(this.storageKey);
      return;
    }
    const timing = this.timingAt(time);
    storage.set(this.storageKey, {
      src: this.src,
      time,
      key: timing?.key ?? null,
      saved: Date.now(),
    });
  }

  // Where to resume: the same moment of the same file or, when the article was narrated
  // again since (a new file), the start of the block the reader was hearing.
  savedPosition() {
    const saved = storage.get(this.storageKey);
    if (!saved || typeof saved.time !== "number") return null;
    if (saved.src === this.src) return saved.time;
    const timing = this.targets.find((target) => target.key === saved.key);
    return timing ? timing.start : null;
  }

  offerResume() {
    const time = this.savedPosition();
    if (time === null || time < RESUME_AFTER_SECONDS || time > this.duration - FINISHED_WITHIN_SECONDS) return;
    this.resumeAt = time;
    this.resumeButton.textContent = fill(this.labels.labelResume, { time: clock(time) });
    this.resumeBox.hidden = false;
  }

  resume() {
    if (this.resumeAt !== null) this.playFrom(this.resumeAt);
  }

  hideResume() {
    if (this.resumeBox.hidden) return;
    const hadFocus = this.resumeBox.contains(document.activeElement);
    this.resumeBox.hidden = true;
    if (hadFocus) this.toggleButton.focus(); // focus must not fall back to the page's start
  }
}

for (const root of document.querySelectorAll("[data-player]")) {
  new Player(root).start();
}
