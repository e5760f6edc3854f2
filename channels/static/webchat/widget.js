/*
 * Balagh 940 web chat — one tag embeds it:
 *
 *   <script src="https://<service>/webchat/widget.js" data-lang="ar" async></script>
 *
 * With an element marked `data-webchat` on the page the chat sits inside it; otherwise a
 * button in the corner opens it. It speaks Rasa's socketio protocol (session_request /
 * session_confirm, user_uttered / bot_uttered) with the service that served this file,
 * in Arabic (right to left) or English, switchable at any time. Photos are uploaded over
 * HTTP first; the message then carries the upload's token. No build step, no dependency
 * but the socket.io client served next to this file.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.Balagh940Chat) return;
  var BASE = new URL(".", script.src).href.replace(/\/$/, ""); // …/webchat
  var ORIGIN = new URL(script.src).origin;
  var SESSION_KEY = "balagh940.webchat.session";
  var LANGUAGE_KEY = "balagh940.webchat.language";
  var INIT_PAYLOAD = "/greet";
  var TYPING_EVERY_MS = 3000;
  var PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp"];
  // Drawn, not emoji: many systems (and headless browsers) lack an emoji font.
  var ICONS = {
    chat: "M4 4h16v12H8l-4 4z",
    camera: "M4 8h3l2-3h6l2 3h3v11H4zM12 10.5a3 3 0 1 0 0 6 3 3 0 0 0 0-6z",
    pin: "M12 2a7 7 0 0 0-7 7c0 5.2 7 13 7 13s7-7.8 7-13a7 7 0 0 0-7-7zm0 9.6a2.6 2.6 0 1 1 0-5.2 2.6 2.6 0 0 1 0 5.2z"
  };

  // The words, by language: filled in from the catalogues (locales/) when the service serves
  // this file (channels/webchat_http.py).
  var TEXT = {/* words */};

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function iconButton(className, icon) {
    var button = element("button", className);
    var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    var path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    path.setAttribute("d", ICONS[icon]);
    path.setAttribute("fill-rule", "evenodd");
    svg.appendChild(path);
    button.appendChild(svg);
    button.type = "button";
    return button;
  }

  function storedLanguage(container) {
    var asked = (container && container.dataset.lang) || script.dataset.lang ||
      localStorage.getItem(LANGUAGE_KEY) || document.documentElement.lang || "ar";
    return asked.slice(0, 2) === "en" ? "en" : "ar";
  }

  function Chat(container) {
    this.embedded = Boolean(container);
    this.language = storedLanguage(container);
    this.sessionId = localStorage.getItem(SESSION_KEY);
    this.started = false;
    this.host = container || document.body.appendChild(element("div"));
    this.root = this.host.attachShadow({ mode: "open" });
    this.build();
    this.applyLanguage();
    this.connect();
  }

  Chat.prototype.build = function () {
    var style = element("link");
    style.rel = "stylesheet";
    style.href = BASE + "/widget.css";
    this.root.appendChild(style);

    this.frame = this.root.appendChild(element("div", "bw" + (this.embedded ? " bw-embedded" : "")));
    if (!this.embedded) {
      this.launcher = this.frame.appendChild(iconButton("bw-launcher", "chat"));
      this.launcher.addEventListener("click", this.toggle.bind(this, true));
    }
    this.panel = this.frame.appendChild(element("section", "bw-panel"));
    this.panel.setAttribute("role", "dialog");
    this.panel.hidden = !this.embedded;

    var header = this.panel.appendChild(element("header", "bw-header"));
    var titles = header.appendChild(element("div", "bw-titles"));
    this.title = titles.appendChild(element("strong", "bw-title"));
    this.status = titles.appendChild(element("span", "bw-status"));
    this.switcher = header.appendChild(element("button", "bw-lang"));
    this.switcher.type = "button";
    this.switcher.addEventListener("click", this.switchLanguage.bind(this));
    if (!this.embedded) {
      this.closer = header.appendChild(element("button", "bw-close", "×"));
      this.closer.type = "button";
      this.closer.addEventListener("click", this.toggle.bind(this, false));
    }

    this.log = this.panel.appendChild(element("ol", "bw-log"));
    this.log.setAttribute("aria-live", "polite");
    this.typing = this.panel.appendChild(element("div", "bw-typing"));
    this.typing.hidden = true;

    this.form = this.panel.appendChild(element("form", "bw-form"));
    this.photoButton = this.form.appendChild(iconButton("bw-photo", "camera"));
    this.fileInput = this.form.appendChild(element("input", "bw-file"));
    this.fileInput.type = "file";
    this.fileInput.accept = PHOTO_TYPES.join(",");
    this.fileInput.hidden = true;
    this.locationButton = this.form.appendChild(iconButton("bw-location", "pin"));
    this.input = this.form.appendChild(element("input", "bw-input"));
    this.input.type = "text";
    this.input.maxLength = 4000;
    this.input.dir = "auto";
    this.sendButton = this.form.appendChild(element("button", "bw-send"));
    this.sendButton.type = "submit";

    this.form.addEventListener("submit", this.submit.bind(this));
    this.input.addEventListener("input", this.typed.bind(this));
    this.photoButton.addEventListener("click", this.fileInput.click.bind(this.fileInput));
    this.fileInput.addEventListener("change", this.upload.bind(this));
    this.locationButton.addEventListener("click", this.shareLocation.bind(this));
  };

  Chat.prototype.text = function (key) {
    return TEXT[this.language][key];
  };

  Chat.prototype.applyLanguage = function () {
    this.frame.dir = this.language === "ar" ? "rtl" : "ltr";
    this.frame.lang = this.language;
    this.title.textContent = this.text("title");
    this.switcher.textContent = this.text("other");
    this.switcher.lang = this.language === "ar" ? "en" : "ar";
    this.input.placeholder = this.text("placeholder");
    this.sendButton.textContent = this.text("send");
    this.photoButton.title = this.photoButton.ariaLabel = this.text("photo");
    this.locationButton.title = this.locationButton.ariaLabel = this.text("location");
    this.panel.setAttribute("aria-label", this.text("title"));
    this.typing.textContent = this.text("typing");
    if (this.launcher) this.launcher.title = this.launcher.ariaLabel = this.text("open");
    if (this.closer) this.closer.title = this.closer.ariaLabel = this.text("close");
    this.showStatus();
  };

  Chat.prototype.showStatus = function () {
    var connected = this.socket && this.socket.connected && this.sessionId;
    this.status.textContent = connected ? this.text("subtitle") : this.text("connecting");
  };

  Chat.prototype.toggle = function (open) {
    this.panel.hidden = !open;
    this.launcher.hidden = open;
    if (open) {
      this.start();
      this.input.focus();
    }
  };

  Chat.prototype.connect = function () {
    this.socket = window.io(ORIGIN, { path: "/socket.io/" });
    this.socket.on("connect", function () {
      this.socket.emit("session_request", { session_id: this.sessionId });
    }.bind(this));
    this.socket.on("session_confirm", function (confirmed) {
      // Rasa confirms with the id itself; some servers send {session_id}.
      this.sessionId = (confirmed && confirmed.session_id) || confirmed;
      localStorage.setItem(SESSION_KEY, this.sessionId);
      this.showStatus();
      if (!this.panel.hidden) this.start(); // shown before the session was confirmed
    }.bind(this));
    this.socket.on("bot_uttered", this.received.bind(this));
    this.socket.on("agent_typing", function () {  // an employee is writing to the visitor
      this.typing.hidden = false;
      clearTimeout(this.typingTimer);
      this.typingTimer = setTimeout(function () { this.typing.hidden = true; }.bind(this), 4000);
    }.bind(this));
    this.socket.on("disconnect", this.showStatus.bind(this));
  };

  /* The first time the chat is shown in this page, the bot greets (once the session is
     confirmed: a visitor may open the chat before the socket has connected). */
  Chat.prototype.start = function () {
    if (this.started || !this.sessionId) return;
    this.started = true;
    this.emit(INIT_PAYLOAD, {});
  };

  Chat.prototype.emit = function (message, extra) {
    var data = Object.assign({ language: this.language }, extra);
    this.socket.emit("user_uttered", { message: message, session_id: this.sessionId, customData: data });
    this.typing.hidden = false;
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(function () { this.typing.hidden = true; }.bind(this), 10000);
  };

  Chat.prototype.add = function (who, content) {
    var item = element("li", "bw-msg bw-" + who);
    item.dir = "auto";
    if (typeof content === "string") item.textContent = content;
    else item.appendChild(content);
    this.log.appendChild(item);
    this.log.scrollTop = this.log.scrollHeight;
    return item;
  };

  Chat.prototype.received = function (message) {
    this.typing.hidden = true;
    var item = null;
    if (message.text) item = this.add("bot", message.text);
    var options = message.quick_replies || message.buttons || [];
    if (options.length) this.showOptions(item || this.add("bot", ""), options);
    var attachment = message.attachment;
    if (attachment && attachment.type === "image" && attachment.payload) {
      var image = element("img", "bw-image");
      image.src = attachment.payload.src;
      image.alt = "";
      this.add("bot", image);
    }
  };

  Chat.prototype.showOptions = function (item, options) {
    var group = item.appendChild(element("div", "bw-options"));
    options.forEach(function (option) {
      var button = group.appendChild(element("button", "bw-option", option.title));
      button.type = "button";
      button.dir = "auto";
      button.addEventListener("click", function () {
        group.querySelectorAll("button").forEach(function (other) { other.disabled = true; });
        button.classList.add("bw-chosen");
        this.add("user", option.title);
        this.emit(option.payload, {});
      }.bind(this));
    }, this);
  };

  /* An employee talking with the visitor sees them typing: said at most every few seconds. */
  Chat.prototype.typed = function () {
    var now = Date.now();
    if (!this.socket || !this.sessionId || now - (this.typingSaid || 0) < TYPING_EVERY_MS) return;
    this.typingSaid = now;
    this.socket.emit("user_typing", {});
  };

  Chat.prototype.submit = function (event) {
    event.preventDefault();
    var message = this.input.value.trim();
    if (!message || !this.sessionId) return;
    this.input.value = "";
    this.add("user", message);
    this.emit(message, {});
  };

  Chat.prototype.switchLanguage = function () {
    this.language = this.language === "ar" ? "en" : "ar";
    localStorage.setItem(LANGUAGE_KEY, this.language);
    this.applyLanguage();
    if (this.sessionId) this.emit('/choose_language{"language":"' + this.language + '"}', {});
  };

  Chat.prototype.shareLocation = function () {
    if (!navigator.geolocation) {
      this.add("notice", this.text("locationDenied"));
      return;
    }
    navigator.geolocation.getCurrentPosition(function (position) {
      var location = { lat: position.coords.latitude, lng: position.coords.longitude };
      this.add("user", this.text("locationSent"));
      this.emit("", { location: location });
    }.bind(this), function () {
      this.add("notice", this.text("locationDenied"));
    }.bind(this), { enableHighAccuracy: true, timeout: 15000 });
  };

  Chat.prototype.upload = function () {
    var file = this.fileInput.files[0];
    this.fileInput.value = "";
    if (!file || !this.sessionId) return;
    if (PHOTO_TYPES.indexOf(file.type) < 0) {
      this.add("notice", this.text("photoType"));
      return;
    }
    var preview = element("img", "bw-image");
    preview.src = URL.createObjectURL(file);
    preview.alt = this.text("photoSent");
    var item = this.add("user", preview);
    var form = new FormData();
    form.append("file", file);
    form.append("session_id", this.sessionId);
    fetch(BASE + "/uploads?lang=" + this.language, { method: "POST", body: form })
      .then(function (response) {
        if (response.status === 413) throw new Error(this.text("tooLarge"));
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      }.bind(this))
      .then(function (result) {
        if (!result.ok) throw new Error(result.body.error && result.body.error.message);
        this.emit("", { media: [result.body.token] });
      }.bind(this))
      .catch(function (error) {
        item.classList.add("bw-failed");
        this.add("notice", (error && error.message) || this.text("uploadFailed"));
      }.bind(this));
  };

  function boot() {
    var start = function () {
      window.Balagh940Chat = new Chat(document.querySelector("[data-webchat]"));
    };
    if (window.io) return start();
    var client = document.createElement("script");
    client.src = BASE + "/socket.io.min.js";
    client.onload = start;
    document.head.appendChild(client);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
