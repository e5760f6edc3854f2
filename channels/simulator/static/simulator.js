// The 940 line simulator: a call placed through the real voice webhooks, with the form fields
// Twilio posts, signed by the service (local use only). It reads each TwiML answer as Twilio
// would: <Say> is spoken with the browser's speech synthesis, <Gather> waits for keys or typed
// words, <Record> for "#", <Dial> for the employee's outcome, <Redirect> and <Hangup> follow.
"use strict";

(() => {
  // The words, by language: filled in from the catalogues (locales/) when the service serves
  // this file (channels/simulator/endpoints.py).
  const TEXT = {/* words */};
  const ARABIC = /[\u0600-\u06ff]/;
  const $ = (id) => document.getElementById(id);
  let ui = "ar";
  let config = null;
  let call = null;

  const t = (key, values = {}) =>
    TEXT[ui][key].replace(/\{(\w+)\}/g, (_, name) => values[name] ?? "");

  function render() {
    document.documentElement.lang = ui;
    document.documentElement.dir = ui === "ar" ? "rtl" : "ltr";
    document.title = t("title");
    document.querySelectorAll("[data-text]").forEach((el) => { el.textContent = t(el.dataset.text); });
    document.querySelectorAll("[data-placeholder]").forEach((el) => { el.placeholder = t(el.dataset.placeholder); });
    $("ui-language").textContent = t("other");
  }

  const hex = (n) => Array.from(crypto.getRandomValues(new Uint8Array(n / 2)), (b) => b.toString(16).padStart(2, "0")).join("");
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const status = (text) => { $("status").textContent = text; };

  // The number of the TwiML step being heard: each transcript line shows it in full, so a
  // line can be found in the steps panel (list markers were cut to their last digit).
  let stepNumber = 0;
  function numbered(item, text, dir) {
    const number = document.createElement("span");
    number.className = "step-number";
    number.dir = "ltr";
    number.textContent = String(stepNumber);
    const words = document.createElement("span");
    words.dir = dir;
    words.textContent = text;
    item.append(number, " ", words);
  }

  function line(text, kind = "line") {
    const item = document.createElement("li");
    item.className = kind;
    item.dir = ARABIC.test(text) ? "rtl" : "ltr";
    numbered(item, text, item.dir);
    $("transcript").append(item);
    item.scrollIntoView({ block: "nearest" });
  }

  function speak(text) {
    line(text);
    if (!("speechSynthesis" in window)) return;
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = ARABIC.test(text) ? "ar-SA" : "en-US";
    speechSynthesis.speak(utterance);
  }

  // One element a line; each text between tags isolated in its own direction (U+2068 …
  // U+2069), so an Arabic sentence inside the left-to-right XML reads in its own order.
  const pretty = (xml) =>
    xml.replace(/></g, ">\n<").replace(/>([^<>]*\S[^<>]*)</g, ">\u2068$1\u2069<");

  function logStep(url, fields, code, body) {
    stepNumber += 1;
    const item = document.createElement("li");
    item.dataset.step = String(stepNumber);
    const path = new URL(url).pathname + new URL(url).search;
    const shown = Object.entries(fields).map(([k, v]) => `${k}=${v}`).join("&");
    const title = document.createElement("div");
    title.dir = "ltr";
    title.textContent = `${stepNumber}. POST ${path}${shown ? "  ·  " + shown : ""}  →  ${code}`;
    const pre = document.createElement("pre");
    pre.textContent = pretty(body);
    item.append(title, pre);
    $("steps").append(item);
  }

  // What the caller can do while the line listens: keys, words, silence, the dial's outcome.
  let waiting = null;
  function wait(kind, options = {}) {
    return new Promise((resolve) => {
      waiting = { kind, options, keys: "", resolve, timer: null };
      if (options.timeout) waiting.timer = setTimeout(() => done(null), options.timeout);
    });
  }
  function done(value) {
    if (!waiting) return;
    clearTimeout(waiting.timer);
    const { resolve } = waiting;
    waiting = null;
    $("answered").hidden = $("no-answer").hidden = true;
    if ("speechSynthesis" in window) speechSynthesis.cancel();
    resolve(value);
  }

  function press(key) {
    if (!waiting) return;
    const { kind, options } = waiting;
    if (kind === "record") {
      if (key === "#") {
        const seconds = Math.max(1, Math.round((Date.now() - options.started) / 1000));
        done({ Digits: "#", RecordingDuration: String(seconds) });
      }
      return;
    }
    if (kind !== "gather") return;
    if (key === options.finishOnKey) return done({ Digits: waiting.keys });
    waiting.keys += key;
    line(t("you", { words: waiting.keys }), "caller");
    if (options.numDigits && waiting.keys.length >= options.numDigits) done({ Digits: waiting.keys });
  }

  function sayWords(words) {
    if (!waiting || !words) return;
    line(t("you", { words }), "caller");
    if (waiting.kind === "gather" && waiting.options.speech) done({ SpeechResult: words, Confidence: "0.9" });
    else if (waiting.kind === "record") line(t("recorded", { words }), "caller");
  }

  class Call {
    constructor(from) {
      this.sid = "CA" + hex(32);
      this.from = from;
      this.ended = false;
    }

    fields(extra) {
      return {
        AccountSid: config.account_sid, ApiVersion: "2010-04-01", CallSid: this.sid,
        CallStatus: "in-progress", Called: config.line, Caller: this.from, Direction: "inbound",
        From: this.from, To: config.line, ...extra,
      };
    }

    async post(url, extra) {
      const params = this.fields(extra);
      const signing = await fetch("/simulator/sign", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ url, params }),
      });
      if (!signing.ok) throw new Error(`sign ${signing.status}`);
      const { signature } = await signing.json();
      const target = new URL(url);
      const response = await fetch(target.pathname + target.search, {
        method: "POST", headers: { "X-Twilio-Signature": signature }, body: new URLSearchParams(params),
      });
      return { response, params };
    }

    async step(url, extra = {}) {
      if (this.ended) return;
      const { response } = await this.post(url, extra);
      const body = await response.text();
      logStep(url, extra, response.status, body);
      if (!response.ok) throw new Error(`${response.status} ${body}`);
      await this.run(body);
    }

    async run(xml) {
      const verbs = [...new DOMParser().parseFromString(xml, "application/xml").documentElement.children];
      for (const verb of verbs) {
        if (this.ended) return;
        const action = verb.getAttribute("action");
        switch (verb.tagName) {
          case "Say": speak(verb.textContent); break;
          case "Play": line(`♪ ${verb.textContent}`); break;
          case "Pause": await sleep(1000 * Number(verb.getAttribute("length") || 1)); break;
          case "Gather": {
            [...verb.children].forEach((child) => (child.tagName === "Say" ? speak(child.textContent) : line(`♪ ${child.textContent}`)));
            const finishOnKey = verb.getAttribute("finishOnKey");
            status(finishOnKey ? t("listening_digits") : t("listening"));
            const input = await wait("gather", {
              numDigits: Number(verb.getAttribute("numDigits") || 0),
              finishOnKey, speech: (verb.getAttribute("input") || "").includes("speech"),
            });
            if (input) return this.step(action, input);
            break;
          }
          case "Record": {
            status(t("recording"));
            const input = await wait("record", { started: Date.now() });
            if (input) {
              const sid = "RE" + hex(32);
              const url = `https://api.twilio.com/2010-04-01/Accounts/${config.account_sid}/Recordings/${sid}`;
              return this.step(action, { RecordingSid: sid, RecordingUrl: url, ...input });
            }
            break;
          }
          case "Dial": {
            status(t("transferring", { number: verb.textContent }));
            $("answered").hidden = $("no-answer").hidden = false;
            const outcome = await wait("dial");
            if (outcome) return this.step(action, { DialCallStatus: outcome });
            return this.hangUp();
          }
          case "Redirect": return this.step(verb.textContent.trim());
          case "Hangup": return this.hangUp();
          default: break;  // <Start><Recording>: Twilio records the call; nothing to simulate
        }
      }
      return this.hangUp();  // the end of a TwiML document ends the call
    }

    async hangUp() {
      if (this.ended) return;
      this.ended = true;
      done(null);
      status(t("ended"));
      $("call").disabled = false;
      $("hangup").disabled = true;
      const fields = { CallStatus: "completed", CallDuration: "60" };
      const { response } = await this.post(config.status_url, fields);
      logStep(config.status_url, fields, response.status, "");
    }
  }

  async function start() {
    $("transcript").replaceChildren();
    $("steps").replaceChildren();
    stepNumber = 0;
    $("call").disabled = true;
    $("hangup").disabled = false;
    call = new Call($("number").value.trim());
    try {
      await call.step(config.voice_url, { CallStatus: "ringing" });
    } catch (error) {
      status(t("error", { detail: error.message }));
      call.ended = true;
      $("call").disabled = false;
      $("hangup").disabled = true;
    }
  }

  async function init() {
    render();
    config = await (await fetch("/simulator/config")).json();
    $("disabled").hidden = config.enabled;
    $("call").disabled = !config.enabled;
    $("ui-language").addEventListener("click", () => { ui = ui === "ar" ? "en" : "ar"; render(); });
    $("call").addEventListener("click", start);
    $("hangup").addEventListener("click", () => call && call.hangUp());
    $("keypad").addEventListener("click", (event) => { if (event.target.dataset.key) press(event.target.dataset.key); });
    $("speak").addEventListener("submit", (event) => {
      event.preventDefault();
      sayWords($("words").value.trim());
      $("words").value = "";
    });
    $("silence").addEventListener("click", () => done(null));
    $("answered").addEventListener("click", () => done("completed"));
    $("no-answer").addEventListener("click", () => done("no-answer"));
    document.addEventListener("keydown", (event) => {
      if (event.target.tagName !== "INPUT" && /^[0-9*#]$/.test(event.key)) press(event.key);
    });
  }

  document.addEventListener("DOMContentLoaded", init);
})();
