// /account/app-passwords: copies a new app password to the clipboard, and moves the focus to
// what needs attention (the new password, or the first field with a problem). Without this
// script the password can be selected and copied by hand.
(function () {
  'use strict';
  var field = document.getElementById('new-token');
  var button = document.getElementById('copy-token');
  var status = document.getElementById('copy-status');
  if (field && button) {
    button.hidden = false;
    button.addEventListener('click', function () {
      field.select();
      // The words come from the button, in the page's language (data-t-*).
      var done = function () {
        button.textContent = button.getAttribute('data-t-copied') || 'Copied';
        if (status) { status.textContent = button.getAttribute('data-t-status') || 'The app password is on your clipboard.'; }
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand('copy'); done(); });
      } else {
        document.execCommand('copy');
        done();
      }
    });
    field.addEventListener('focus', function () { field.select(); });
    field.focus();
    return;
  }
  var invalid = document.querySelector('[aria-invalid="true"]');
  if (invalid) { invalid.focus(); }
}());
