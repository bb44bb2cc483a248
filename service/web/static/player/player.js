/*
 * The course player (content origin). It reads its configuration from the URL fragment
 * (#cfg=<base64url JSON>, never sent to a server) and
 *  - SCORM 1.2 / 2004: provides window.API / window.API_1484_11 (scorm-again, vendored) before
 *    the SCO's frame loads, preloaded with the learner's saved values, and sends the runtime's
 *    commits to the API (POST .../scorm-commit) through a small queue that coalesces, retries
 *    and survives reloads; a table of contents and previous/next walk the items in manifest
 *    order, and SCORM 2004 navigation requests (adl.nav.request) are honoured.
 *  - cmi5 / xAPI / native: frames au_url; the AU reports to the LRS itself.
 * Plain JavaScript, no build step.
 */
(function () {
  "use strict";

  var LABELS = {
    zh: {
      player: "课程播放", toc: "目录", prev: "上一节", next: "下一节", exit: "退出",
      nav: "课程导航", content: "课程内容", loading: "正在加载…", badLink: "启动链接不完整或已损坏，请从课程页面重新打开。",
      noRuntime: "课程运行环境未能加载，请刷新页面。", preview: "预览：不记录学习进度。",
      running: "学习中", saving: "正在保存…", saved: "进度已保存", offline: "网络已断开，恢复后自动保存。",
      retry: "保存失败，稍后重试。", notLoaded: "未能读取上次的学习进度。", scoEnded: "本节已结束，请在目录中选择下一节。",
      ended: "本次学习已结束", endedText: "学习进度已保存。", endedPreview: "预览已结束。", back: "返回", again: "重新打开",
      item: "第 {n} 节", expired: "会话已过期，请重新打开课程"
    },
    en: {
      player: "Course player", toc: "Contents", prev: "Previous", next: "Next", exit: "Exit",
      nav: "Course navigation", content: "Course content", loading: "Loading…",
      badLink: "This launch link is incomplete or damaged; open the course again from its page.",
      noRuntime: "The course runtime did not load; reload the page.", preview: "Preview: progress is not recorded.",
      running: "In progress", saving: "Saving…", saved: "Progress saved",
      offline: "Offline: progress will be saved when the connection is back.",
      retry: "Saving failed; retrying shortly.", notLoaded: "The saved progress could not be read.",
      scoEnded: "This part has ended; choose the next one in the contents.",
      ended: "The session has ended", endedText: "Your progress has been saved.", endedPreview: "The preview has ended.",
      back: "Back", again: "Open again", item: "Part {n}", expired: "Session expired: reopen the course"
    }
  };
  var AUTOCOMMIT_MS = 60000;
  var MAX_BACKOFF_MS = 60000;
  var KEEPALIVE_LIMIT = 65536; // bytes: a page's keepalive bodies in flight share 64 KiB (Fetch)
  var REPLAY_WAIT_MS = 3000; // at start, how long what a closed page left may delay the runtime
  var QUEUE_PREFIX = "skills-player:queue:";
  var LEGACY_QUEUE_PREFIX = "skills-player:commits:";
  // the longest a runtime token lives (SKILLS_LAUNCH_TTL_SECONDS is at most 86400): a queue
  // older than this can no longer be sent
  var QUEUE_MAX_AGE_MS = 24 * 3600 * 1000;
  var IDENTITY = /^cmi\.(core\.student_(id|name)|learner_(id|name))$/;

  var lang = pickLanguage();
  var L = LABELS[lang];
  var $ = function (id) { return document.getElementById(id); };
  var frame, cfg, queue = null, runtime = {}, current = null, index = -1;
  var busy = false, ended = false, hiding = false, expired = false, visited = {};

  function pickLanguage() {
    var list = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ""];
    for (var i = 0; i < list.length; i++) {
      var primary = String(list[i]).toLowerCase().split("-")[0];
      if (primary === "zh" || primary === "en") return primary;
    }
    return "zh";
  }

  function setState(state) { document.body.setAttribute("data-player-state", state); }

  /** The status line; once the API refused the launch's token, it keeps saying so. */
  function status(text) { $("status").textContent = expired ? L.expired : text || ""; }

  function sessionExpired() {
    expired = true;
    status(L.expired);
  }

  function uuid4() {
    if (window.crypto && typeof crypto.randomUUID === "function") {
      try { return crypto.randomUUID(); } catch (e) { /* not a secure context */ }
    }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function readConfig() {
    var match = /(?:^#|&)cfg=([^&]*)/.exec(location.hash);
    if (!match) return null;
    try {
      var text = match[1].replace(/-/g, "+").replace(/_/g, "/");
      while (text.length % 4) text += "=";
      var binary = atob(text);
      var bytes = new Uint8Array(binary.length);
      for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
      var parsed = JSON.parse(new TextDecoder().decode(bytes));
      return parsed && typeof parsed === "object" ? parsed : null;
    } catch (e) {
      return null;
    }
  }

  function isScorm() { return cfg.format === "scorm12" || cfg.format === "scorm2004"; }
  function is12() { return cfg.format === "scorm12"; }

  function httpUrl(text) {
    try {
      var url = new URL(text);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  // ---- the commit queue ------------------------------------------------------------------
  // One entry per commit; an entry not yet sent is replaced by a newer commit of the same
  // runtime session (each carries the session's cumulative values, so the latest state wins;
  // sequences may then skip the superseded numbers). Entries stay in localStorage until the API
  // acknowledged them, so a reload of the same launch sends what a closed page could not.
  //
  // Every package of every course shares this origin's localStorage, so a stored entry is only
  // as trustworthy as its key: the key is a hash of the launch's runtime token (never the token
  // itself), which a package of another launch does not know. Only the launch that stored the
  // entries (the same token: a reload of the same launch URL) finds and sends them; the keys of
  // other launches are dropped once older than any token lives.

  function hexOf(bytes) {
    return Array.prototype.map.call(bytes, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
  }

  /** Four 32-bit FNV-1a hashes (each salted with its index) of ``bytes``, as 32 hex digits. */
  function fnvHex(bytes) {
    var out = "";
    for (var round = 0; round < 4; round++) {
      var h = 0x811c9dc5;
      h = Math.imul(h ^ round, 0x01000193) >>> 0;
      for (var i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
      out += (h + 0x100000000).toString(16).slice(1);
    }
    return out;
  }

  /** The storage key of a token's queue: SHA-256 (hex, 32 digits) where crypto.subtle exists,
   *  which is only in a secure context (https, or http://localhost); elsewhere a plain FNV-1a
   *  hash, enough to tell launches apart without keeping the token. */
  function queueKey(token) {
    var bytes = new TextEncoder().encode(token);
    var subtle = window.isSecureContext && window.crypto && crypto.subtle;
    if (!subtle || typeof subtle.digest !== "function") return Promise.resolve(QUEUE_PREFIX + fnvHex(bytes));
    return subtle.digest("SHA-256", bytes).then(function (digest) {
      return QUEUE_PREFIX + hexOf(new Uint8Array(digest)).slice(0, 32);
    }, function () {
      return QUEUE_PREFIX + fnvHex(bytes);
    });
  }

  /** Parsed {created, entries} of a stored queue, or null when it is not one of ours. */
  function readStored(text) {
    try {
      var stored = JSON.parse(text);
      if (!stored || typeof stored.created !== "number" || !Array.isArray(stored.entries)) return null;
      return stored;
    } catch (e) {
      return null;
    }
  }

  /** Drops the queues of launches whose tokens have expired (and the old per-enrolment keys,
   *  which any package could write into). The clock may also have gone back: a key dated far in
   *  the future goes too, so nothing stays for ever. */
  function sweepQueues() {
    try {
      var now = Date.now(), drop = [];
      for (var i = 0; i < localStorage.length; i++) {
        var key = localStorage.key(i);
        if (!key) continue;
        if (key.indexOf(LEGACY_QUEUE_PREFIX) === 0) { drop.push(key); continue; }
        if (key.indexOf(QUEUE_PREFIX) !== 0) continue;
        var stored = readStored(localStorage.getItem(key));
        if (!stored || Math.abs(now - stored.created) > QUEUE_MAX_AGE_MS) drop.push(key);
      }
      drop.forEach(function (key) { localStorage.removeItem(key); });
    } catch (e) { /* storage disabled: nothing was kept */ }
  }

  function utf8Length(text) { return new TextEncoder().encode(text).length; }

  function CommitQueue(config, key) {
    this.url = config.api_base.replace(/\/+$/, "") + "/api/v1/enrollments/" +
      encodeURIComponent(config.enrollment_id) + "/scorm-commit";
    this.token = config.token;
    this.key = key;
    this.created = null;
    this.pending = this.load();
    this.sending = null;
    this.timer = null;
    this.backoff = 0;
    this.denied = false; // the API refused the token (401/403): nothing more is sent from here
    this.keepaliveBytes = 0; // bodies of this page's keepalive requests still in flight
    this.idle = [];
    var self = this;
    window.addEventListener("online", function () { self.wake(); });
  }

  /** The queue of this launch's token, with what an earlier page of the same launch left. */
  CommitQueue.open = function (config) {
    sweepQueues();
    return queueKey(config.token).then(function (key) { return new CommitQueue(config, key); });
  };

  /** Nothing is being sent: all acknowledged, waiting to retry, offline, or refused. */
  CommitQueue.prototype.isIdle = function () {
    if (this.sending) return false;
    return !this.pending.length || !!this.timer || this.denied || navigator.onLine === false;
  };

  /** Resolves once nothing is being sent (see isIdle). */
  CommitQueue.prototype.whenIdle = function () {
    var self = this;
    if (this.isIdle()) return Promise.resolve();
    return new Promise(function (resolve) { self.idle.push(resolve); });
  };

  CommitQueue.prototype.notifyIdle = function () {
    if (!this.isIdle()) return;
    var waiting = this.idle;
    this.idle = [];
    waiting.forEach(function (resolve) { resolve(); });
  };

  CommitQueue.prototype.load = function () {
    try {
      var stored = readStored(localStorage.getItem(this.key) || "null");
      if (!stored) return [];
      var entries = stored.entries.filter(function (e) {
        return e && e.body && typeof e.body === "object" && typeof e.body.commit_id === "string";
      }).map(function (e) {
        return { body: e.body, tried: !!e.tried };
      });
      if (entries.length) this.created = stored.created;
      return entries;
    } catch (e) {
      return [];
    }
  };

  CommitQueue.prototype.save = function () {
    try {
      if (!this.pending.length) {
        this.created = null;
        localStorage.removeItem(this.key);
        return;
      }
      if (this.created === null) this.created = Date.now();
      var entries = this.pending.map(function (e) { return { body: e.body, tried: e.tried }; });
      localStorage.setItem(this.key, JSON.stringify({ created: this.created, entries: entries }));
    } catch (e) { /* storage full or disabled: the queue still works in memory */ }
  };

  CommitQueue.prototype.submit = function (body) {
    var sending = this.sending;
    for (var i = 0; i < this.pending.length; i++) {
      var entry = this.pending[i];
      if (entry !== sending && !entry.tried && entry.body.runtime_session === body.runtime_session) {
        body.final = body.final || entry.body.final;
        this.pending[i] = { body: body, tried: false };
        this.save();
        this.next();
        return;
      }
    }
    this.pending.push({ body: body, tried: false });
    this.save();
    this.next();
  };

  CommitQueue.prototype.wake = function () {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    this.next();
  };

  CommitQueue.prototype.next = function () {
    if (this.denied) { this.notifyIdle(); return; }
    if (hiding) { this.flushAll(); return; }
    if (this.sending || this.timer || !this.pending.length) return;
    if (navigator.onLine === false) { status(L.offline); this.notifyIdle(); return; }
    var entry = this.pending[0];
    var self = this;
    this.sending = entry;
    entry.tried = true;
    this.save();
    status(L.saving);
    // A final commit may be the SCO's last word before its frame goes: keepalive when it fits.
    var init = (entry.body.final && this.keepaliveInit(entry)) || this.bearerInit(entry);
    this.send(init).then(function (outcome) {
      self.sending = null;
      self.settle(entry, outcome);
    });
  };

  CommitQueue.prototype.bearerInit = function (entry) {
    return {
      method: "POST", mode: "cors", credentials: "omit",
      headers: { "Content-Type": "application/json", "Authorization": "Bearer " + this.token },
      body: JSON.stringify(entry.body)
    };
  };

  /** The keepalive request of an entry, or null when its body (token included, in UTF-8 bytes)
   *  does not fit what is left of the page's 64 KiB keepalive budget (Fetch standard, fetch
   *  method: inflight keepalive bytes). No preflight and no headers: a CORS-safelisted
   *  text/plain body carrying the token survives the page going away. */
  CommitQueue.prototype.keepaliveInit = function (entry) {
    var body = JSON.stringify(Object.assign({}, entry.body, { runtime_token: this.token }));
    var size = utf8Length(body);
    if (this.keepaliveBytes + size > KEEPALIVE_LIMIT) return null;
    return {
      method: "POST", mode: "cors", credentials: "omit", keepalive: true,
      headers: { "Content-Type": "text/plain;charset=UTF-8" }, body: body
    };
  };

  /** "done" (acknowledged, or refused for good), "denied" (the token is not accepted any more)
   *  or "retry". */
  CommitQueue.prototype.send = function (init) {
    var self = this;
    var size = init.keepalive ? utf8Length(init.body) : 0;
    this.keepaliveBytes += size;
    var settled = function (outcome) { self.keepaliveBytes -= size; return outcome; };
    return fetch(this.url, init).then(function (response) {
      var s = response.status;
      if (s >= 200 && s < 300) return "done";
      if (s === 401 || s === 403) return "denied";
      if (s === 408 || s === 429 || s >= 500) return "retry";
      return response.text().then(refused(s), refused(s));
    }, function () {
      return "retry";
    }).then(settled);
  };

  /** A refusal the queue will not repeat: the API's problem detail (RFC 9457) to the console. */
  function refused(httpStatus) {
    return function (text) {
      text = typeof text === "string" ? text : "";
      var detail = text.slice(0, 300);
      try {
        var problem = JSON.parse(text);
        if (problem && (problem.detail || problem.title)) {
          detail = (problem.code ? problem.code + ": " : "") + (problem.detail || problem.title);
        }
      } catch (e) { /* not a problem document */ }
      console.warn("The course commit was refused (HTTP " + httpStatus + "); it is not retried. " + detail);
      return "done";
    };
  }

  CommitQueue.prototype.settle = function (entry, outcome) {
    var self = this;
    if (outcome === "done") {
      this.pending = this.pending.filter(function (e) { return e !== entry; });
      this.backoff = 0;
      this.save();
      if (!this.pending.length) status(ended ? "" : L.saved);
      this.next();
      this.notifyIdle();
      return;
    }
    if (outcome === "denied") {
      this.refuse();
      return;
    }
    status(navigator.onLine === false ? L.offline : L.retry);
    this.backoff = Math.min(MAX_BACKOFF_MS, this.backoff ? this.backoff * 2 : 2000);
    this.timer = setTimeout(function () { self.timer = null; self.next(); }, this.backoff);
    this.notifyIdle();
  };

  /** The API no longer takes this launch's token: the entries stay stored (a reload of the same
   *  launch tries them once more), the learner is told to open the course again. */
  CommitQueue.prototype.refuse = function () {
    this.denied = true;
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    this.save();
    sessionExpired();
    this.notifyIdle();
  };

  /** The page is going away: everything left goes now, with keepalive. What does not make it,
   *  or does not fit the keepalive budget, stays stored for the next start of this launch (the
   *  API ignores a commit_id it already has). */
  CommitQueue.prototype.flushAll = function () {
    var self = this;
    if (this.denied) return;
    this.pending.forEach(function (entry) {
      if (entry.flushing) return;
      var init = self.keepaliveInit(entry);
      if (!init) return;
      entry.flushing = true;
      entry.tried = true;
      self.send(init).then(function (outcome) {
        entry.flushing = false;
        if (outcome === "done") {
          self.pending = self.pending.filter(function (e) { return e !== entry; });
          self.save();
        } else if (outcome === "denied") {
          self.refuse();
        }
      });
    });
    this.save();
  };

  /** Sends what an earlier page of this launch left, for at most ``ms``, so that the saved
   *  state read next is the newest. */
  CommitQueue.prototype.replay = function (ms) {
    if (!this.pending.length) return Promise.resolve();
    this.next();
    return Promise.race([
      this.whenIdle(),
      new Promise(function (resolve) { setTimeout(resolve, ms); })
    ]);
  };

  // ---- SCORM sessions --------------------------------------------------------------------

  function twoDigits(n) { return (n < 10 ? "0" : "") + n; }

  /** The measured time since Initialize, in the version's session_time format (SCORM 1.2 RTE
   *  3.4, cmi.core.session_time, CMITimespan HHHH:MM:SS; SCORM 2004 RTE 4.2.20,
   *  cmi.session_time, an ISO 8601 duration). */
  function elapsed(since) {
    var seconds = Math.max(0, Math.floor((Date.now() - since) / 1000));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    if (is12()) return twoDigits(h) + ":" + twoDigits(m) + ":" + twoDigits(s);
    return "PT" + h + "H" + m + "M" + s + "S";
  }

  function commitBody(session, flattened, final) {
    var values = {};
    Object.keys(flattened || {}).forEach(function (key) {
      var value = flattened[key];
      if (value === null || value === undefined || typeof value === "object") return;
      if (IDENTITY.test(key)) return; // the API knows the learner; no names in commits
      values[key] = String(value);
    });
    if (!session.scoSetSessionTime) {
      // The SCO reports no session_time of its own: the player reports the time it measured.
      values[is12() ? "cmi.core.session_time" : "cmi.session_time"] = elapsed(session.initAt);
    }
    session.sequence += 1;
    return {
      version: is12() ? "1.2" : "2004",
      commit_id: uuid4(),
      sco_id: session.sco.id,
      runtime_session: session.runtimeSession,
      sequence: session.sequence,
      final: !!final,
      values: values
    };
  }

  /** scorm-again's commits come here (its IHttpService): queued, answered at once, so that
   *  LMSCommit / LMSFinish / Commit / Terminate never wait for the network. */
  function commitService(session) {
    return {
      processHttpRequest: function (url, params, immediate) {
        if (queue && session.runtimeSession) {
          session.dirty = false;
          var body = commitBody(session, params, immediate);
          queue.submit(body);
          if (isDone(body.values)) markDone(session.sco);
        }
        return { result: "true", errorCode: 0 };
      },
      updateSettings: function () {}
    };
  }

  function logMessage(level, message) {
    // Messages about what the SCO asked (a wrong element, a call out of order) are the
    // content's, not the player's failures: they go to the console as warnings.
    if (Number(level) >= 4) console.warn("[SCORM] " + message);
  }

  /** The lesson_status a previous session left (1.2), if it is more than the initial one. */
  function savedStatus(sco) {
    var saved = runtime[sco.id] && runtime[sco.id].values;
    var value = saved && saved["cmi.core.lesson_status"];
    return value && value !== "not attempted" ? String(value) : "";
  }

  function preload(api, sco) {
    var saved = runtime[sco.id] && runtime[sco.id].values;
    if (!saved || typeof saved !== "object") return;
    Object.keys(saved).forEach(function (key) {
      var value = saved[key];
      if (value === null || value === undefined) return;
      // "not attempted" is the initial status (SCORM 1.2 RTE 3.4): loaded, it would count as
      // set by the SCO and a SCO that sets none would not be completed on LMSFinish.
      if (key === "cmi.core.lesson_status" && value === "not attempted") return;
      var one = {};
      one[key] = String(value);
      try {
        api.loadFromFlattenedJSON(one);
      } catch (e) {
        console.warn("A saved value could not be restored: " + key);
      }
    });
  }

  function newSession(sco) {
    var session = {
      sco: sco, api: null, runtimeSession: null, sequence: 0, initAt: 0,
      scoSetSessionTime: false, dirty: false, terminated: false
    };
    var settings = {
      autocommit: false, // the player's own timer commits (see tick)
      lmsCommitUrl: queue ? queue.url : false,
      dataCommitFormat: "flattened",
      sendFullCommit: true,
      logLevel: 4,
      onLogMessage: logMessage
    };
    var api;
    if (is12()) {
      // SCORM 1.2 RTE 3.4 (cmi.core.lesson_status): a SCO that sets no status is
      // "completed" when it finishes.
      settings.autoCompleteLessonStatus = true;
      api = new window.Scorm12API(settings, commitService(session));
    } else {
      api = new window.Scorm2004API(settings, commitService(session));
    }
    session.api = api;
    preload(api, sco);
    var prefix = is12() ? "LMS" : "";
    api.on(prefix + "Initialize", function () {
      if (is12() && !savedStatus(sco)) {
        // scorm-again starts lesson_status at "not attempted" and then counts it as the SCO's
        // own; it is the LMS's initial value, so that a SCO that sets no status is completed
        // on LMSFinish (SCORM 1.2 RTE 3.4).
        api.statusSetByModule = false;
      }
      session.runtimeSession = uuid4();
      session.sequence = 0;
      session.initAt = Date.now();
      status(queue ? L.running : L.preview);
    });
    api.on(prefix + "SetValue.cmi.*", function (element) {
      session.dirty = true;
      if (/^cmi\.(core\.)?session_time$/.test(element)) session.scoSetSessionTime = true;
    });
    api.on(is12() ? "LMSFinish" : "Terminate", function () {
      session.terminated = true;
      var request = "";
      if (is12()) request = api.nav && api.nav.event ? String(api.nav.event) : "";
      else request = api.adl && api.adl.nav ? String(api.adl.nav.request || "") : "";
      // After the SCO's call has returned: the player may then take its frame away.
      Promise.resolve().then(function () { afterTerminate(session, request); });
    });
    return session;
  }

  function install(api) {
    if (is12()) window.API = api;
    else window.API_1484_11 = api;
  }

  /** The current state of a running session, committed without touching its API's state. */
  function snapshot(session, final) {
    if (!queue || !session || !session.runtimeSession || session.terminated) return;
    if (!session.api.isInitialized()) return;
    session.dirty = false;
    queue.submit(commitBody(session, session.api.renderCommitCMI(final), final));
  }

  function tick() {
    if (current && current.dirty) snapshot(current, false);
  }

  function unloadFrame() {
    return new Promise(function (resolve) {
      var src = frame.getAttribute("src");
      if (!src || src === "about:blank") { resolve(); return; }
      frame.addEventListener("load", function done() {
        frame.removeEventListener("load", done);
        resolve();
      });
      frame.setAttribute("src", "about:blank");
    });
  }

  /** Ends the current SCO: its page unloads first (so its own unload handlers finish it as it
   *  was written to), then, if it did not, the player calls LMSFinish / Terminate for it. */
  function closeCurrent() {
    return unloadFrame().then(function () {
      var session = current;
      current = null;
      if (session && session.api.isInitialized() && !session.terminated) {
        try {
          if (is12()) session.api.LMSFinish("");
          else session.api.Terminate("");
        } catch (error) {
          console.warn("Finishing the course item failed.", error);
        }
      }
    });
  }

  function afterTerminate(session, request) {
    if (busy || ended || session !== current) return; // the player is already moving on
    var choice = /^\{target=([^}]+)\}(choice|jump)$/.exec(request);
    if (request === "continue") {
      if (index + 1 < cfg.scos.length) go(index + 1);
      else end();
    } else if (request === "previous") {
      if (index > 0) go(index - 1);
    } else if (choice) {
      var target = findSco(choice[1]);
      if (target >= 0) go(target);
    } else if (/^(exit|exitAll|suspendAll|abandon|abandonAll)$/.test(request)) {
      end();
    } else {
      status(L.scoEnded);
      showToc(true);
    }
  }

  function findSco(id) {
    for (var i = 0; i < cfg.scos.length; i++) if (cfg.scos[i].id === id) return i;
    return -1;
  }

  function go(target) {
    if (busy || ended || target < 0 || target >= cfg.scos.length) return Promise.resolve();
    busy = true;
    updateNav();
    return closeCurrent().then(function () {
      // Back to an item played on this page: its saved state changed since the launch.
      if (!queue || !visited[cfg.scos[target].id]) return null;
      return queue.whenIdle().then(loadRuntime);
    }).then(function () {
      index = target;
      var sco = cfg.scos[index];
      visited[sco.id] = true;
      current = newSession(sco);
      install(current.api);
      frame.title = sco.title || L.content;
      frame.setAttribute("src", new URL(sco.href, cfg.content_base).href);
      busy = false;
      setState("playing");
      updateNav();
      if (window.matchMedia("(max-width: 760px)").matches) showToc(false);
    }).catch(function (error) {
      busy = false;
      updateNav();
      console.warn("The course item could not be opened.", error);
      status(L.noRuntime);
    });
  }

  function end() {
    if (ended) return Promise.resolve();
    busy = true;
    updateNav();
    var closing = isScorm() ? closeCurrent() : unloadFrame();
    return closing.then(function () {
      ended = true;
      busy = false;
      if (queue) queue.next();
      frame.hidden = true;
      $("ended").hidden = false;
      $("ended-text").textContent = isScorm() && !queue ? L.endedPreview : L.endedText;
      setState("ended");
      updateNav();
      status("");
      var back = cfg.return_url && httpUrl(cfg.return_url);
      if (back) {
        hiding = true; // what is left goes with keepalive, the page is leaving
        if (queue) queue.flushAll();
        location.assign(back);
      }
    });
  }

  // ---- the page --------------------------------------------------------------------------

  function showToc(open) {
    document.body.classList.toggle("toc-open", open);
    $("toc-toggle").setAttribute("aria-expanded", open ? "true" : "false");
  }

  function updateNav() {
    var scorm = isScorm() && cfg.scos.length > 0;
    var prev = document.querySelector("[data-nav=prev]");
    var next = document.querySelector("[data-nav=next]");
    var exit = document.querySelector("[data-nav=exit]");
    prev.hidden = next.hidden = !scorm || cfg.scos.length < 2;
    prev.disabled = busy || ended || index <= 0;
    next.disabled = busy || ended || index < 0 || index >= cfg.scos.length - 1;
    exit.disabled = busy || ended;
    var items = $("toc-list").querySelectorAll("button");
    for (var i = 0; i < items.length; i++) {
      items[i].disabled = ended;
      if (i === index) items[i].setAttribute("aria-current", "step");
      else items[i].removeAttribute("aria-current");
      var saved = runtime[cfg.scos[i].id];
      if (saved && isDone(saved.values)) items[i].classList.add("done");
    }
  }

  function markDone(sco) {
    var i = findSco(sco.id);
    var items = $("toc-list").querySelectorAll("button");
    if (i >= 0 && items[i]) items[i].classList.add("done");
  }

  function isDone(values) {
    if (!values) return false;
    var status12 = values["cmi.core.lesson_status"];
    return status12 === "completed" || status12 === "passed" ||
      values["cmi.completion_status"] === "completed" || values["cmi.success_status"] === "passed";
  }

  function buildToc() {
    var list = $("toc-list");
    cfg.scos.forEach(function (sco, i) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = sco.title || L.item.replace("{n}", String(i + 1));
      button.addEventListener("click", function () { go(i); });
      item.appendChild(button);
      list.appendChild(item);
    });
    var multi = cfg.scos.length > 1;
    $("toc").hidden = !multi;
    $("toc-toggle").hidden = !multi;
    showToc(multi && !window.matchMedia("(max-width: 760px)").matches);
  }

  function labels() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    $("toc-toggle").textContent = L.toc;
    $("nav").setAttribute("aria-label", L.nav);
    $("toc").setAttribute("aria-label", L.toc);
    document.querySelector("[data-nav=prev]").textContent = L.prev;
    document.querySelector("[data-nav=next]").textContent = L.next;
    document.querySelector("[data-nav=exit]").textContent = L.exit;
    $("ended-title").textContent = L.ended;
    $("ended-again").textContent = L.again;
    $("ended-return").textContent = L.back;
    frame.title = L.content;
  }

  function loadRuntime() {
    var url = cfg.api_base.replace(/\/+$/, "") + "/api/v1/enrollments/" +
      encodeURIComponent(cfg.enrollment_id) + "/scorm-runtime";
    return fetch(url, {
      mode: "cors", credentials: "omit", cache: "no-store",
      headers: { "Authorization": "Bearer " + cfg.token }
    }).then(function (response) {
      if (response.status === 401 || response.status === 403) sessionExpired();
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (doc) {
      runtime = doc && doc.scos && typeof doc.scos === "object" ? doc.scos : {};
    }, function (error) {
      console.warn("The saved course progress could not be read: " + error.message);
      status(L.notLoaded);
    });
  }

  /** Where to start: the item asked for, else the one the learner suspended last, else the
   *  first not yet completed, else the first. */
  function startIndex() {
    var asked = cfg.start ? findSco(cfg.start) : -1;
    if (asked >= 0) return asked;
    var best = -1, bestAt = "";
    cfg.scos.forEach(function (sco, i) {
      var saved = runtime[sco.id];
      var values = saved && saved.values;
      if (!values) return;
      var entry = values["cmi.core.entry"] || values["cmi.entry"];
      var at = saved.last_commit_at || "";
      if (entry === "resume" && at >= bestAt) { best = i; bestAt = at; }
    });
    if (best >= 0) return best;
    for (var i = 0; i < cfg.scos.length; i++) {
      var s = runtime[cfg.scos[i].id];
      if (!s || !isDone(s.values)) return i;
    }
    return 0;
  }

  function onHide(final) {
    hiding = true;
    if (current && current.dirty) snapshot(current, final);
    else if (final) snapshot(current, true);
    if (queue) queue.flushAll();
  }

  function wire() {
    document.querySelector("[data-nav=prev]").addEventListener("click", function () { go(index - 1); });
    document.querySelector("[data-nav=next]").addEventListener("click", function () { go(index + 1); });
    document.querySelector("[data-nav=exit]").addEventListener("click", function () { end(); });
    $("toc-toggle").addEventListener("click", function () {
      showToc(!document.body.classList.contains("toc-open"));
    });
    $("ended-again").addEventListener("click", function () { location.reload(); });
    window.addEventListener("pagehide", function () { onHide(true); });
    window.addEventListener("pageshow", function (event) { if (event.persisted) hiding = false; });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") onHide(false);
      else hiding = false;
    });
  }

  function fail(message) {
    setState("error");
    status(message);
    $("title").textContent = L.player;
  }

  function start() {
    frame = $("content");
    labels();
    cfg = readConfig();
    if (!cfg || typeof cfg.format !== "string") { fail(L.badLink); return; }
    $("title").textContent = cfg.title || L.player;
    document.title = (cfg.title ? cfg.title + " · " : "") + L.player;
    var back = cfg.return_url && httpUrl(cfg.return_url);
    if (back) {
      $("ended-return").href = back;
      $("ended-return").hidden = false;
    }
    wire();
    if (!isScorm()) {
      var au = cfg.au_url && httpUrl(cfg.au_url);
      if (!au) { fail(L.badLink); return; }
      if (cfg.launch_method === "OwnWindow") {
        // cmi5 13.1.4: this AU must have a window of its own, never a frame; its returnURL
        // brings the learner back.
        window.location.replace(au);
        return;
      }
      frame.setAttribute("src", au);
      setState("playing");
      updateNav();
      return;
    }
    if (!Array.isArray(cfg.scos) || !cfg.scos.length) { fail(L.badLink); return; }
    if (typeof window.Scorm12API !== "function" || typeof window.Scorm2004API !== "function") {
      fail(L.noRuntime);
      return;
    }
    buildToc();
    status(L.loading);
    var recording = cfg.token && cfg.enrollment_id && cfg.api_base;
    // What an earlier page of this launch left goes first, so the state read next is the newest.
    var ready = !recording ? Promise.resolve() : CommitQueue.open(cfg).then(function (opened) {
      queue = opened;
      return queue.replay(REPLAY_WAIT_MS);
    }).then(loadRuntime);
    ready.then(function () {
      setInterval(tick, AUTOCOMMIT_MS);
      return go(startIndex());
    }).then(function () {
      if (!queue) status(L.preview);
    }, function (error) {
      console.warn(error);
      fail(L.noRuntime);
    });
  }

  window.skillsPlayer = {
    get state() { return document.body.getAttribute("data-player-state"); },
    get index() { return index; },
    pendingCommits: function () { return queue ? queue.pending.length : 0; }
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
