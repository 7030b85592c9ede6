// The move-in pages. On the callback, the implicit grant's answer is in the URL fragment
// (RFC 6749 §4.2.2): its access_token and state go to our server in a form post (with the
// antiforgery token the form carries), and the fragment is removed from history first.
// The code grant's answer is in the query (§4.1.2) and the server has used it already: it
// is removed from the address bar and history too.
// On the job page, the job's status is polled until it ends.
(function () {
  'use strict';
  if (window.location.pathname === '/account/move-in/callback' && window.location.search) {
    window.history.replaceState(null, '', window.location.pathname + window.location.hash);
  }
  var callback = document.getElementById('movein-callback');
  if (callback) {
    var params = new URLSearchParams(window.location.hash.replace(/^#/, ''));
    window.history.replaceState(null, '', window.location.pathname);
    var denied = document.getElementById('movein-denied');
    if (params.get('error') || !params.get('access_token')) {
      document.getElementById('movein-waiting').hidden = true;
      denied.hidden = false;
      // The words come from the page, in its language (data-t-*).
      denied.textContent = (denied.getAttribute('data-t-denied') || '').replace('{0}', params.get('error') || denied.getAttribute('data-t-no-token') || '');
      var again = document.createElement('a');
      again.href = '/account/move-in';
      again.textContent = denied.getAttribute('data-t-again') || '';
      denied.appendChild(again);
      return;
    }
    document.getElementById('access_token').value = params.get('access_token');
    document.getElementById('state').value = params.get('state') || '';
    callback.submit();
    return;
  }

  var job = document.getElementById('movein-job');
  if (job && job.dataset.state === 'running') {
    var poll = function () {
      fetch('/account/move-in?handler=status&job=' + encodeURIComponent(job.dataset.job), { credentials: 'same-origin' })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (s.state !== 'running') {
            window.location.reload();
            return;
          }
          document.getElementById('copied').textContent = s.copied;
          document.getElementById('skipped').textContent = s.skipped;
          document.getElementById('folders-left').textContent = s.foldersLeft;
          window.setTimeout(poll, 500);
        })
        .catch(function () { window.setTimeout(poll, 2000); });
    };
    window.setTimeout(poll, 300);
  }
})();
