// The import page: sign in, upload a roster or attendance file, follow the import, download
// its report. The access token lives in this closure only (never localStorage or a cookie):
// closing or reloading the tab signs out, and no other script on the origin can read it.
(function () {
  "use strict";
  var API = "/api/v1";
  var POLL_MS = 500;
  var FINISHED = { done: true, refused: true, failed: true };
  var STAFF = { admin: true, org_admin: true, trainer: true };
  var text = JSON.parse(document.getElementById("imports-text").textContent);
  var token = null;
  var me = null;
  var current = null; // the import being followed (its last ImportOut)
  var pollTimer = null;

  function $(id) { return document.getElementById(id); }

  function say(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, name) {
      return values && values[name] !== undefined ? String(values[name]) : "";
    });
  }

  function show(el, visible) { el.hidden = !visible; }

  // A request to our API with the token (``url`` is the API's own link, or a path under API).
  function api(url, options) {
    options = options || {};
    var headers = options.headers || {};
    if (token) { headers.Authorization = "Bearer " + token; }
    options.headers = headers;
    return fetch(url.indexOf(API + "/") === 0 || /^https?:/.test(url) ? url : API + url, options);
  }

  // A problem+json answer as {message (in the page's words), detail (the server's)}.
  function problemOf(response) {
    return response.json().catch(function () { return {}; }).then(function (body) {
      var message;
      if (response.status === 401) { message = text["error.expired"]; }
      else if (response.status === 403) { message = text["error.forbidden"]; }
      else if (response.status === 413) { message = text["error.too_large"]; }
      else { message = text["error.upload"]; }
      var detail = body.detail || body.title || "";
      if (body.errors && body.errors.length) {
        detail += " " + body.errors.map(function (e) {
          return (e.field ? e.field + ": " : "") + (e.message || e.msg || "");
        }).join("; ");
      }
      return { status: response.status, code: body.code || "", message: message, detail: detail };
    });
  }

  // ---- sign in / out ------------------------------------------------------------------------

  function signedIn(user) {
    me = user;
    var role = text["role." + user.role] || user.role;
    var who = $("who");
    who.textContent = say(text.signed_in_as, { email: user.email, role: role });
    who.setAttribute("data-role", user.role);
    show($("org-field"), user.role === "admin");
    show($("signin"), false);
    show($("workspace"), true);
    $("kind").focus();
  }

  function signOut() {
    token = null;
    me = null;
    current = null;
    clearTimeout(pollTimer);
    $("import-form").reset();
    show($("progress"), false);
    show($("import-error"), false);
    show($("workspace"), false);
    show($("signin"), true);
    $("password").value = "";
    $("email").focus();
  }

  function signinError(message) {
    var box = $("signin-error");
    box.textContent = message;
    show(box, true);
  }

  $("signin-form").addEventListener("submit", function (event) {
    event.preventDefault();
    show($("signin-error"), false);
    var email = $("email").value.trim();
    var password = $("password").value;
    if (!email || !password) { signinError(text["error.signin"]); return; }
    var button = $("signin-submit");
    button.disabled = true;
    var body = new URLSearchParams({ grant_type: "password", username: email, password: password });
    fetch(API + "/auth/token", { method: "POST", body: body })
      .then(function (response) {
        if (!response.ok) { throw new Error(text["error.signin"]); }
        return response.json();
      })
      .then(function (pair) {
        token = pair.access_token;
        return api("/auth/me");
      })
      .then(function (response) {
        if (!response.ok) { throw new Error(text["error.signin"]); }
        return response.json();
      })
      .then(function (user) {
        if (!STAFF[user.role]) { token = null; throw new Error(text["error.not_staff"]); }
        $("password").value = "";
        signedIn(user);
      })
      .catch(function (error) {
        token = null;
        var ours = error.message === text["error.signin"] || error.message === text["error.not_staff"];
        signinError(ours ? error.message : text["error.network"]);
      })
      .then(function () { button.disabled = false; });
  });

  $("signout").addEventListener("click", signOut);

  // ---- downloads through the token: fetched, then saved from a blob URL ---------------------

  function fileNameOf(response, fallback) {
    var header = response.headers.get("Content-Disposition") || "";
    var star = /filename\*=UTF-8''([^;]+)/i.exec(header);
    if (star) {
      try { return decodeURIComponent(star[1]); } catch (e) { /* fall through */ }
    }
    var plain = /filename="?([^";]+)"?/i.exec(header);
    return plain ? plain[1] : fallback;
  }

  function save(blob, name) {
    var url = URL.createObjectURL(blob);
    var link = document.createElement("a");
    link.href = url;
    link.download = name;
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }

  function download(link, fallbackName, errorBox) {
    api(link.getAttribute("href"))
      .then(function (response) {
        if (!response.ok) { return problemOf(response).then(function (p) { throw p; }); }
        var name = fileNameOf(response, fallbackName);
        return response.blob().then(function (blob) { save(blob, name); });
      })
      .catch(function (problem) {
        if (problem && problem.status === 401) { signOut(); signinError(text["error.expired"]); return; }
        var known = problem && !(problem instanceof Error) && problem.message;
        errorBox(known ? problem : { message: text["error.download"], detail: "" });
      });
  }

  function kindTemplates() {
    var kind = $("kind").value;
    ["xlsx", "csv"].forEach(function (ext) {
      $("template-" + ext).setAttribute("href", API + "/imports/templates/" + kind + "." + ext);
    });
  }

  $("kind").addEventListener("change", kindTemplates);

  ["template-xlsx", "template-csv"].forEach(function (id) {
    $(id).addEventListener("click", function (event) {
      event.preventDefault();
      var ext = this.getAttribute("data-ext");
      download(this, "import-template-" + $("kind").value + "." + ext, uploadError);
    });
  });

  ["report-xlsx", "report-csv"].forEach(function (id) {
    $(id).addEventListener("click", function (event) {
      event.preventDefault();
      if (!current) { return; }
      var ext = this.getAttribute("data-ext");
      var name = "import-report-" + current.kind + "-" + current.id.slice(0, 8) + "." + ext;
      download(this, name, uploadError);
    });
  });

  // ---- upload -----------------------------------------------------------------------------

  function uploadError(problem) {
    $("import-error-message").textContent = problem.message;
    $("import-error-detail").textContent = problem.detail || "";
    show($("import-error-detail"), Boolean(problem.detail));
    show($("import-error"), true);
  }

  $("import-form").addEventListener("submit", function (event) {
    event.preventDefault();
    show($("import-error"), false);
    var file = $("file").files[0];
    if (!file) { uploadError({ message: text["error.no_file"], detail: "" }); $("file").focus(); return; }
    var form = new FormData();
    form.append("kind", $("kind").value);
    var org = $("organization").value.trim();
    if (me && me.role === "admin" && org) { form.append("organization_id", org); }
    form.append("file", file, file.name);
    var dryRun = $("dry-run").checked ? "true" : "false";
    var button = $("import-submit");
    button.disabled = true;
    clearTimeout(pollTimer);
    api("/imports?dry_run=" + dryRun, { method: "POST", body: form })
      .then(function (response) {
        if (!response.ok) { return problemOf(response).then(function (p) { throw p; }); }
        return response.json();
      })
      .then(follow)
      .catch(function (problem) {
        if (!problem || problem instanceof Error || !problem.message) {
          problem = { message: text["error.network"], detail: "" };
        }
        if (problem.status === 401) { signOut(); signinError(text["error.expired"]); return; }
        uploadError(problem);
      })
      .then(function () { button.disabled = false; });
  });

  // ---- progress ---------------------------------------------------------------------------

  function statusWord(run) {
    if (run.status === "done" && run.dry_run) { return text["status.done_dry"]; }
    return text["status." + run.status] || run.status;
  }

  function draw(run) {
    current = run;
    var box = $("progress");
    box.setAttribute("data-status", run.status);
    show(box, true);
    $("progress-file").textContent = run.filename || "";
    var word = statusWord(run);
    if ($("status").textContent !== word) { $("status").textContent = word; } // announce changes only
    var bar = $("progress-bar");
    var total = run.rows_total;
    if (total === null || total === undefined) {
      bar.removeAttribute("value"); // indeterminate until the file is checked and counted
      $("rows").textContent = run.status === "checking" ? text.rows_unknown : "";
    } else {
      bar.max = Math.max(total, 1);
      bar.value = run.status === "done" && total === 0 ? 1 : run.rows_done;
      $("rows").textContent = say(text.rows, { done: run.rows_done, total: total });
    }
    bar.setAttribute("aria-valuetext", $("rows").textContent);
    $("count-accepted").textContent = run.accepted;
    $("count-duplicate").textContent = run.duplicate;
    $("count-rejected").textContent = run.rejected;

    var refusal = run.refusal || {};
    // A refused file wrote nothing: no bar or counts, only why.
    show($("tally"), run.status !== "refused");
    show($("refusal"), run.status === "refused" || run.status === "failed");
    if (run.status === "refused") {
      var explain = text["refusal." + refusal.code] || refusal.message || "";
      $("refusal-explain").textContent = explain;
      $("refusal-message").textContent = refusal.message && refusal.message !== explain ? refusal.message : "";
      $("refusal-code").textContent = refusal.code ? say(text["refused.code"], { code: refusal.code }) : "";
      $("refusal").setAttribute("data-code", refusal.code || "");
    } else if (run.status === "failed") {
      $("refusal-explain").textContent = text["failed.body"];
      $("refusal-message").textContent = "";
      $("refusal-code").textContent = "";
    }
    var links = run.links || {};
    $("report-csv").setAttribute("href", links.report_csv || API + "/imports/" + run.id + "/report.csv");
    $("report-xlsx").setAttribute("href", links.report_xlsx || API + "/imports/" + run.id + "/report.xlsx");
    show($("reports"), run.status === "done");
  }

  function follow(run) {
    draw(run);
    if (FINISHED[run.status]) { return; }
    pollTimer = setTimeout(function () { poll(run.id); }, POLL_MS);
  }

  function poll(id) {
    if (!token || !current || current.id !== id) { return; }
    api("/imports/" + encodeURIComponent(id))
      .then(function (response) {
        if (response.status === 401) { signOut(); signinError(text["error.expired"]); return null; }
        if (!response.ok) { return problemOf(response).then(function (p) { throw p; }); }
        return response.json();
      })
      .then(function (run) { if (run && current && current.id === id) { follow(run); } })
      .catch(function (problem) {
        if (problem instanceof TypeError) { // a network hiccup: keep trying, a little slower
          pollTimer = setTimeout(function () { poll(id); }, POLL_MS * 4);
          return;
        }
        var known = problem && !(problem instanceof Error) && problem.message;
        uploadError(known ? problem : { message: text["error.network"], detail: "" });
      });
  }

  kindTemplates();
})();
