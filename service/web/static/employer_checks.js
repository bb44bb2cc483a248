// The employer's check page: sign in, paste a list or choose files, read one row per
// credential, download the report. The access token lives in this closure only (never
// localStorage or a cookie): closing or reloading the tab signs out. Every text from the
// server is put in with textContent, never as HTML.
(function () {
  "use strict";
  var API = "/api/v1";
  var text = JSON.parse(document.getElementById("employer-text").textContent);
  var token = null;
  var current = null; // the last check run shown

  function $(id) { return document.getElementById(id); }
  function show(el, visible) { el.hidden = !visible; }
  function say(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, name) {
      return values && values[name] !== undefined ? String(values[name]) : "";
    });
  }

  function api(path, options) {
    options = options || {};
    options.headers = options.headers || {};
    if (token) { options.headers.Authorization = "Bearer " + token; }
    return fetch(path.indexOf(API + "/") === 0 ? path : API + path, options);
  }

  function problemOf(response) {
    return response.json().catch(function () { return {}; }).then(function (body) {
      var message = text["error.check"];
      if (response.status === 401) { message = text["error.expired"]; }
      else if (response.status === 403) { message = text["error.forbidden"]; }
      else if (body.code === "too-many-items") { message = text["error.too_many"]; }
      else if (response.status === 413) { message = text["error.too_large"]; }
      return { status: response.status, message: message, detail: body.detail || "" };
    });
  }

  // ---- sign in / out ------------------------------------------------------------------------

  function signinError(message) {
    $("signin-error").textContent = message;
    show($("signin-error"), true);
  }

  function signOut() {
    token = null;
    current = null;
    $("check-form").reset();
    show($("results"), false);
    show($("check-error"), false);
    show($("workspace"), false);
    show($("signin"), true);
    $("password").value = "";
    $("email").focus();
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
      .then(function (pair) { token = pair.access_token; return api("/auth/me"); })
      .then(function (response) {
        if (!response.ok) { throw new Error(text["error.signin"]); }
        return response.json();
      })
      .then(function (user) {
        if (user.role !== "employer") { token = null; throw new Error(text["error.not_employer"]); }
        $("password").value = "";
        $("who").textContent = say(text.signed_in_as, { email: user.email });
        show($("signin"), false);
        show($("workspace"), true);
        $("items").focus();
      })
      .catch(function (error) {
        token = null;
        var ours = error.message === text["error.signin"] || error.message === text["error.not_employer"];
        signinError(ours ? error.message : text["error.network"]);
      })
      .then(function () { button.disabled = false; });
  });

  $("signout").addEventListener("click", signOut);

  // ---- checking -----------------------------------------------------------------------------

  function checkError(problem) {
    $("check-error-message").textContent = problem.message;
    $("check-error-detail").textContent = problem.detail || "";
    show($("check-error-detail"), Boolean(problem.detail));
    show($("check-error"), true);
  }

  function cell(row, value) {
    var td = document.createElement("td");
    td.textContent = value === null || value === undefined ? "" : String(value);
    row.appendChild(td);
    return td;
  }

  function checksText(checks) {
    return checks.map(function (c) {
      return (text["check." + c.name] || c.name) + ": " + (text["outcome." + c.outcome] || c.outcome);
    }).join("; ");
  }

  function draw(run) {
    current = run;
    var counts = run.counts || {};
    Object.keys(counts).forEach(function (result) {
      var box = $("count-" + result);
      if (!box) { return; }
      box.textContent = counts[result];
      show(box.parentNode, counts[result] > 0 || result === "valid"); // only what occurred
    });
    var valid = counts.valid || 0;
    $("summary").textContent = say(text.summary, { total: run.total, valid: valid, other: run.total - valid });
    var body = $("rows-body");
    while (body.firstChild) { body.removeChild(body.firstChild); }
    run.rows.forEach(function (r) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-result", r.result);
      cell(tr, r.index + 1);
      cell(tr, r.reference);
      cell(tr, text["kind." + r.input_kind] || r.input_kind);
      var result = cell(tr, text["result." + r.result] || r.result);
      result.className = r.result === "valid" ? "result-valid" : "result-other";
      cell(tr, r.achievement);
      cell(tr, r.issuer);
      cell(tr, (r.issued || "").slice(0, 10));
      cell(tr, checksText(r.checks));
      body.appendChild(tr);
    });
    $("report-csv").setAttribute("href", run.report_csv);
    $("report-xlsx").setAttribute("href", run.report_xlsx);
    show($("results"), true);
  }

  $("check-form").addEventListener("submit", function (event) {
    event.preventDefault();
    show($("check-error"), false);
    var files = $("files").files;
    var lines = $("items").value.split(/\r?\n/).map(function (l) { return l.trim(); })
      .filter(function (l) { return l.length > 0; });
    var options;
    if (files.length) {
      var form = new FormData();
      Array.prototype.forEach.call(files, function (f) { form.append("file", f, f.name); });
      options = { method: "POST", body: form };
    } else if (lines.length) {
      options = {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ items: lines })
      };
    } else {
      checkError({ message: text["error.nothing"], detail: "" });
      $("items").focus();
      return;
    }
    var button = $("check-submit");
    button.disabled = true;
    api("/employer/checks", options)
      .then(function (response) {
        if (!response.ok) { return problemOf(response).then(function (p) { throw p; }); }
        return response.json();
      })
      .then(draw)
      .catch(function (problem) {
        if (!problem || problem instanceof Error || !problem.message) {
          problem = { message: text["error.network"], detail: "" };
        }
        if (problem.status === 401) { signOut(); signinError(text["error.expired"]); return; }
        checkError(problem);
      })
      .then(function () { button.disabled = false; });
  });

  // ---- the report, fetched with the token and saved from a blob URL ---------------------------

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

  ["report-xlsx", "report-csv"].forEach(function (id) {
    $(id).addEventListener("click", function (event) {
      event.preventDefault();
      if (!current) { return; }
      var ext = this.getAttribute("data-ext");
      api(this.getAttribute("href"))
        .then(function (response) {
          if (!response.ok) { return problemOf(response).then(function (p) { throw p; }); }
          return response.blob().then(function (blob) {
            save(blob, "credential-check-" + current.id.slice(0, 8) + "." + ext);
          });
        })
        .catch(function (problem) {
          if (problem && problem.status === 401) { signOut(); signinError(text["error.expired"]); return; }
          checkError({ message: text["error.download"], detail: "" });
        });
    });
  });
})();
