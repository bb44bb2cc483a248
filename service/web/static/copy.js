// Share page: a "copy link" button. Progressive enhancement: without JavaScript the link is
// still in a read-only field to select and copy by hand.
(function () {
  "use strict";
  var button = document.getElementById("copy");
  var field = document.getElementById("share-url");
  if (!button || !field || !navigator.clipboard) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(field.value).then(function () {
      button.textContent = button.getAttribute("data-copied");
    });
  });
})();
