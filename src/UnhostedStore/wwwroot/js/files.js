// The file browser (/files): uploads of files and whole folders, picked or dropped onto the
// listing, each with its own progress bar and cancel button, two at a time. Each file is one
// PUT to /files/upload with If-None-Match: * first; a file of the same name is replaced only
// when the person says so. When all are through, the listing is fetched again. Without this
// script the page still lists, previews, downloads and deletes.
(function () {
  'use strict';
  var uploader = document.getElementById('uploader');
  if (!uploader || !window.XMLHttpRequest) { return; }
  var folder = uploader.getAttribute('data-folder');
  var maxBytes = Number(uploader.getAttribute('data-max-bytes'));
  var maxText = uploader.getAttribute('data-max-text');
  var list = document.getElementById('uploads');
  var status = document.getElementById('upload-status');
  var parallel = 2;
  var queue = [];
  var running = 0;
  var tally = { total: 0, done: 0, failed: 0, cancelled: 0, asking: 0 };

  // The words, in the page's language, come from the page (data-t-* on #uploader); {0} and {1}
  // are filled in here.
  function t(name) {
    var text = uploader.getAttribute('data-t-' + name) || '';
    var args = Array.prototype.slice.call(arguments, 1);
    return text.replace(/\{(\d)\}/g, function (m, i) { return args[Number(i)] === undefined ? m : String(args[Number(i)]); });
  }

  var messages = {
    400: t('bad-request'),
    409: t('conflict'),
    413: t('too-large', maxText),
    507: t('full'),
    503: t('unavailable')
  };

  function token() {
    var input = document.querySelector('input[name="__RequestVerificationToken"]');
    return input ? input.value : '';
  }

  function encodePath(path) { return path.split('/').map(encodeURIComponent).join('/'); }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  function summarize() {
    var left = tally.total - tally.done - tally.failed - tally.cancelled;
    var parts = [];
    if (left > 0) { parts.push(t('progress', tally.done, tally.total)); }
    else { parts.push(t(tally.done === 1 ? 'uploaded-one' : 'uploaded-many', tally.done)); }
    if (tally.failed > 0) { parts.push(t('count-failed', tally.failed)); }
    if (tally.cancelled > 0) { parts.push(t('count-cancelled', tally.cancelled)); }
    if (tally.asking > 0) { parts.push(t('count-asking', tally.asking)); }
    status.textContent = parts.join(' ');
  }

  function setState(entry, text, className) {
    entry.state.textContent = text;
    if (className) { entry.row.className = className; }
  }

  function setProgress(entry, percent) {
    var p = Math.max(0, Math.min(100, Math.round(percent)));
    entry.bar.value = p;
    entry.bar.setAttribute('aria-valuenow', String(p));
    entry.bar.setAttribute('aria-valuetext', p + '%');
  }

  function settle(entry, outcome, text) {
    if (entry.outcome) { return; }
    entry.outcome = outcome;
    tally[outcome] += 1;
    entry.cancel.hidden = true;
    setState(entry, text, outcome === 'done' ? 'done' : outcome === 'failed' ? 'failed' : 'cancelled');
    summarize();
  }

  function add(file, relative) {
    var entry = { file: file, path: folder + relative, xhr: null, outcome: null };
    entry.row = element('li', 'waiting');
    entry.row.appendChild(element('span', 'file', relative));
    var buttons = element('span', 'buttons');
    entry.cancel = element('button', 'secondary cancel', t('cancel'));
    entry.cancel.type = 'button';
    entry.cancel.setAttribute('aria-label', t('cancel-label', relative));
    entry.cancel.addEventListener('click', function () { cancel(entry); });
    buttons.appendChild(entry.cancel);
    entry.row.appendChild(buttons);
    entry.bar = element('progress');
    entry.bar.max = 100;
    entry.bar.value = 0;
    entry.bar.setAttribute('role', 'progressbar');
    entry.bar.setAttribute('aria-valuemin', '0');
    entry.bar.setAttribute('aria-valuemax', '100');
    entry.bar.setAttribute('aria-valuenow', '0');
    entry.bar.setAttribute('aria-label', t('bar-label', relative));
    entry.row.appendChild(entry.bar);
    entry.state = element('span', 'state', t('waiting'));
    entry.row.appendChild(entry.state);
    entry.buttons = buttons;
    list.appendChild(entry.row);
    tally.total += 1;
    if (file.size > maxBytes) {
      settle(entry, 'failed', messages[413]);
      return;
    }
    queue.push(entry);
    summarize();
    pump();
  }

  function cancel(entry) {
    if (entry.outcome) { return; }
    if (entry.xhr) { entry.xhr.abort(); return; }
    var at = queue.indexOf(entry);
    if (at >= 0) { queue.splice(at, 1); }
    settle(entry, 'cancelled', t('cancelled'));
    pump();
  }

  function pump() {
    while (running < parallel && queue.length > 0) { send(queue.shift(), false); }
    if (running === 0 && queue.length === 0 && tally.asking === 0) { refresh(); }
  }

  function send(entry, replace) {
    var xhr = new XMLHttpRequest();
    entry.xhr = xhr;
    running += 1;
    entry.cancel.hidden = false;
    setState(entry, t('uploading'), 'uploading');
    xhr.open('PUT', '/files/upload?path=' + encodePath(entry.path));
    xhr.setRequestHeader('RequestVerificationToken', token());
    xhr.setRequestHeader('Content-Type', entry.file.type || 'application/octet-stream');
    if (!replace) { xhr.setRequestHeader('If-None-Match', '*'); }
    xhr.upload.addEventListener('progress', function (e) {
      if (e.lengthComputable && e.total > 0) { setProgress(entry, (e.loaded / e.total) * 100); }
    });
    xhr.addEventListener('load', function () { ended(entry); answered(entry, xhr); });
    xhr.addEventListener('error', function () {
      ended(entry);
      settle(entry, 'failed', t('network'));
    });
    xhr.addEventListener('abort', function () {
      ended(entry);
      settle(entry, 'cancelled', t('cancelled'));
    });
    xhr.send(entry.file);
  }

  function ended(entry) {
    entry.xhr = null;
    running -= 1;
    window.setTimeout(pump, 0);
  }

  function answered(entry, xhr) {
    var answer = null;
    try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = null; }
    if (!answer && xhr.responseURL && xhr.responseURL.indexOf('/login') >= 0) {
      settle(entry, 'failed', t('logged-out'));
    } else if ((xhr.status === 200 || xhr.status === 201) && answer) {
      setProgress(entry, 100);
      settle(entry, 'done', answer.message);
    } else if (xhr.status === 412) {
      ask(entry);
    } else if (xhr.status === 400 && !answer) {
      settle(entry, 'failed', t('too-old'));
    } else {
      settle(entry, 'failed', (answer && answer.message) || messages[xhr.status] || t('failed'));
    }
  }

  // A file of that name is already here: replace it (the old one goes to history) or keep it.
  function ask(entry) {
    tally.asking += 1;
    entry.cancel.hidden = true;
    setState(entry, t('exists'), 'asking');
    var replace = element('button', 'replace', t('replace'));
    var keep = element('button', 'secondary keep', t('keep'));
    replace.type = keep.type = 'button';
    replace.setAttribute('aria-label', t('replace-label', entry.path));
    keep.setAttribute('aria-label', t('keep-label', entry.path));
    function answer(again) {
      tally.asking -= 1;
      entry.buttons.removeChild(replace);
      entry.buttons.removeChild(keep);
      if (again) {
        setProgress(entry, 0);
        send(entry, true);
      } else {
        settle(entry, 'cancelled', t('kept'));
        pump();
      }
      summarize();
    }
    replace.addEventListener('click', function () { answer(true); });
    keep.addEventListener('click', function () { answer(false); });
    entry.buttons.appendChild(replace);
    entry.buttons.appendChild(keep);
    summarize();
    replace.focus();
  }

  // The listing as the server has it now, without leaving the page (the uploads list stays).
  function refresh() {
    if (tally.done === 0 || !window.fetch || !window.DOMParser) { return; }
    fetch(window.location.href, { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, 'text/html');
        ['listing', 'folder'].forEach(function (id) {
          var now = document.getElementById(id);
          var then = fresh.getElementById(id);
          if (now && then) { now.parentNode.replaceChild(document.importNode(then, true), now); }
        });
      })
      .catch(function () { /* the person can reload */ });
  }

  function picked(input, relative) {
    Array.prototype.forEach.call(input.files, function (file) { add(file, relative(file)); });
    input.value = '';
  }

  var files = document.getElementById('pick-files');
  var dir = document.getElementById('pick-folder');
  if (files) { files.addEventListener('change', function () { picked(files, function (f) { return f.name; }); }); }
  if (dir) { dir.addEventListener('change', function () { picked(dir, function (f) { return f.webkitRelativePath || f.name; }); }); }

  // Dropped folders are walked (webkitGetAsEntry); readEntries answers in batches.
  function walk(entry, prefix) {
    if (entry.isFile) {
      entry.file(function (file) { add(file, prefix + entry.name); });
    } else if (entry.isDirectory) {
      var reader = entry.createReader();
      var more = function () {
        reader.readEntries(function (batch) {
          if (batch.length === 0) { return; }
          batch.forEach(function (child) { walk(child, prefix + entry.name + '/'); });
          more();
        });
      };
      more();
    }
  }

  var main = document.getElementById('main');
  function zone() { return document.getElementById('listing'); }
  function carriesFiles(e) { return e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types, 'Files') >= 0; }
  main.addEventListener('dragover', function (e) {
    if (!carriesFiles(e)) { return; }
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    if (zone()) { zone().classList.add('dragging'); }
  });
  main.addEventListener('dragleave', function (e) {
    if (zone() && (!e.relatedTarget || !main.contains(e.relatedTarget))) { zone().classList.remove('dragging'); }
  });
  main.addEventListener('drop', function (e) {
    if (!carriesFiles(e)) { return; }
    e.preventDefault();
    if (zone()) { zone().classList.remove('dragging'); }
    var items = e.dataTransfer.items;
    var entries = items && items.length > 0 && items[0].webkitGetAsEntry
      ? Array.prototype.map.call(items, function (item) { return item.webkitGetAsEntry(); }).filter(function (entry) { return entry; })
      : [];
    if (entries.length > 0) {
      entries.forEach(function (entry) { walk(entry, ''); });
    } else {
      Array.prototype.forEach.call(e.dataTransfer.files, function (file) { add(file, file.name); });
    }
  });
}());
