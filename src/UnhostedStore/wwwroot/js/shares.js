// /account/shares: copies a new link to the clipboard. Without this script the link can be
// selected and copied by hand.
(function () {
  'use strict';
  var button = document.getElementById('copy-link');
  var field = document.getElementById('new-link');
  if (!button || !field) { return; }
  button.hidden = false;
  button.addEventListener('click', function () {
    field.select();
    var done = function () { button.textContent = button.getAttribute('data-t-copied') || button.textContent; };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand('copy'); done(); });
    } else {
      document.execCommand('copy');
      done();
    }
  });
}());
