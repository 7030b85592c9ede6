// The import page: upload progress (XMLHttpRequest upload events), then the job's progress
// from its status endpoint. Without this script the form and a reload still work.
(function () {
  'use strict';
  var form = document.getElementById('import-form');
  if (form) {
    form.addEventListener('submit', function (event) {
      if (!window.XMLHttpRequest || !window.FormData) { return; }
      event.preventDefault();
      var box = document.getElementById('upload');
      var bar = document.getElementById('upload-progress');
      var percent = document.getElementById('upload-percent');
      var button = document.getElementById('import');
      box.hidden = false;
      button.disabled = true;
      var xhr = new XMLHttpRequest();
      xhr.open('POST', form.action || window.location.href);
      xhr.upload.addEventListener('progress', function (e) {
        if (e.lengthComputable) {
          var p = Math.round((e.loaded / e.total) * 100);
          bar.value = p;
          percent.textContent = p + '%';
        }
      });
      xhr.addEventListener('load', function () {
        // The server answers with a redirect to the job's page; the browser followed it.
        if (xhr.status === 200 && xhr.responseURL) {
          window.location.assign(xhr.responseURL);
        } else {
          document.open();
          document.write(xhr.responseText);
          document.close();
        }
      });
      xhr.addEventListener('error', function () {
        percent.textContent = form.getAttribute('data-t-failed') || '';
        button.disabled = false;
      });
      xhr.send(new FormData(form));
    });
  }

  var job = document.getElementById('import-job');
  if (job && (job.dataset.state === 'checking' || job.dataset.state === 'importing')) {
    var poll = function () {
      fetch('/account/import?handler=status&job=' + encodeURIComponent(job.dataset.job), { credentials: 'same-origin' })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (s.state === 'done' || s.state === 'failed') {
            window.location.reload();
            return;
          }
          document.getElementById('done').textContent = s.done;
          document.getElementById('total').textContent = s.total;
          var bar = document.getElementById('import-progress');
          bar.max = Math.max(1, s.total);
          bar.value = s.done;
          window.setTimeout(poll, 500);
        })
        .catch(function () { window.setTimeout(poll, 2000); });
    };
    window.setTimeout(poll, 300);
  }
})();
