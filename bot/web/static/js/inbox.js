// The agent inbox, live: the staff socket says which conversation changed; the list and the
// open conversation are read again from the server (which checks what this employee may
// see). Forms post in the background and the page refreshes the same way; without scripts
// they post normally and come back.
(function () {
  "use strict";
  var root = document.getElementById("inbox");
  if (!root || !window.io) { return; }
  var rows = document.getElementById("inbox-rows");
  var panel = document.getElementById("inbox-conversation");
  var openId = root.dataset.open;
  var typingTimer = null;
  var TYPING_SHOWN_MS = 4000;

  function fetchHtml(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; });
  }

  function refreshList() {
    var query = new URLSearchParams(window.location.search);
    query.delete("notice"); query.delete("error");
    return fetchHtml("/staff/inbox/list?" + query.toString()).then(function (html) {
      if (html === null) { return; }
      rows.innerHTML = html;
      var open = rows.querySelector('[data-id="' + openId + '"]');
      if (open) { open.classList.add("open"); }
      showWaits();
      applyTyping();
    });
  }

  function scrollDown() {
    var transcript = document.getElementById("transcript");
    if (transcript) { transcript.scrollTop = transcript.scrollHeight; }
  }

  // Live events read the panel again while the employee writes: the draft is taken when the
  // new panel replaces the old (not when it was asked for, or a reply chosen meanwhile would
  // be lost), with the focus and the caret (or the next keys would go nowhere), and an
  // answer older than one already shown is dropped.
  var panelAsked = 0;
  var panelShown = 0;

  function refreshPanel() {
    if (!openId) { return Promise.resolve(); }
    var asked = ++panelAsked;
    return fetchHtml("/staff/inbox/" + openId + "/panel").then(function (html) {
      if (html === null || asked < panelShown) { return; }
      panelShown = asked;
      var box = panel.querySelector("#reply-text");
      var draft = box ? box.value : "";
      var writing = box !== null && document.activeElement === box;
      var caret = writing ? [box.selectionStart, box.selectionEnd] : null;
      panel.innerHTML = html;
      var again = panel.querySelector("#reply-text");
      if (again) { again.value = draft; }
      if (again && caret) {
        again.focus();
        again.setSelectionRange(caret[0], caret[1]);
      }
      if (window.balaghMaps) { window.balaghMaps(panel); }
      applyTyping();
      scrollDown();
    });
  }

  // Who is typing, until when: marks survive the list and the panel being read again.
  var typingUntil = {};

  function applyTyping() {
    var now = Date.now();
    document.querySelectorAll(".typing").forEach(function (mark) {
      var holder = mark.closest("[data-id]");
      mark.hidden = !(holder && typingUntil[holder.dataset.id] > now);
    });
  }

  function showTyping(id) {
    typingUntil[id] = Date.now() + TYPING_SHOWN_MS;
    applyTyping();
    clearTimeout(typingTimer);
    typingTimer = setTimeout(applyTyping, TYPING_SHOWN_MS + 50);
  }

  panel.addEventListener("change", function (event) {
    if (event.target.id !== "reply-template") { return; }
    var option = event.target.options[event.target.selectedIndex];
    var box = panel.querySelector("#reply-text");
    if (option && option.dataset.text && box) { box.value = option.dataset.text; }
  });

  // The resident sees the employee writing (where their platform shows it): said every 3 s.
  var typingSaid = 0;
  panel.addEventListener("input", function (event) {
    if (event.target.id !== "reply-text" || Date.now() - typingSaid < 3000) { return; }
    typingSaid = Date.now();
    socket.emit("typing", { id: openId });
  });

  panel.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-live")) { return; }
    event.preventDefault();
    var button = form.querySelector("button");
    if (button) { button.disabled = true; }
    var body = new FormData(form);
    var box = form.querySelector("#reply-text");
    if (box) { box.value = ""; }  // sent: the panel may be read again before the answer
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) {
        var outcome = new URL(response.url, window.location.href).searchParams;
        if (outcome.get("error")) { window.location.assign(response.url); return; }
        return Promise.all([refreshPanel(), refreshList()]);
      })
      .finally(function () { if (button) { button.disabled = false; } });
  });

  var socket = window.io("/staff", { path: "/staff/socket.io/" });
  socket.on("changed", function (event) {
    refreshList();
    if (event.id === openId) { refreshPanel(); }
  });
  socket.on("said", function (event) {
    delete typingUntil[event.id];  // they sent it
    if (event.id === openId) { refreshPanel(); }
    refreshList();
  });
  socket.on("typing", function (event) { showTyping(event.id); });
  // How long each resident has waited, in whole minutes, kept current between refreshes.
  function showWaits() {
    rows.querySelectorAll(".waiting[data-since]").forEach(function (wait) {
      var minutes = Math.floor((Date.now() - Date.parse(wait.dataset.since)) / 60000);
      wait.textContent = wait.dataset.words.replace("{minutes}", String(Math.max(minutes, 0)));
    });
  }
  setInterval(showWaits, 30000);

  socket.on("connect", function () { root.dataset.live = "on"; });
  socket.on("disconnect", function () { root.dataset.live = "off"; });
  scrollDown();
})();
