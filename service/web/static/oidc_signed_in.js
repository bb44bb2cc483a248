// The page after a provider sign-in: keeps the service's token pair for the project's pages in
// sessionStorage (this window only; closing it signs out) under "skills.session", then drops
// the data block from the page. The tokens come in the page body, never in a URL.
(function () {
  "use strict";
  var block = document.getElementById("oidc-session");
  var status = document.getElementById("session-status");
  if (!block) return;
  try {
    var data = JSON.parse(block.textContent);
    data.stored_at = Math.floor(Date.now() / 1000);
    window.sessionStorage.setItem("skills.session", JSON.stringify(data));
    if (status) status.textContent = status.getAttribute("data-saved");
  } finally {
    block.parentNode.removeChild(block);
  }
})();
