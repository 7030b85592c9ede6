// The notes app of the change-stream browser test: caches /notes/, records the library's change
// events and sync cycles; the tests drive it through window.app.
/* global RemoteStorage */
(function () {
  'use strict';

  var state = { ready: false, connected: false, syncs: 0, changes: [] };
  var rs = new RemoteStorage({ logging: false });
  rs.access.claim('notes', 'rw');
  rs.caching.enable('/notes/');
  rs.on('ready', function () { state.ready = true; });
  rs.on('connected', function () { state.connected = true; });
  rs.on('sync-done', function () { state.syncs++; });

  var client = rs.scope('/notes/');
  client.on('change', function (e) {
    state.changes.push({ path: e.relativePath, origin: e.origin, value: typeof e.newValue === 'string' ? e.newValue : null });
  });

  window.app = {
    state: state,
    configure: function (settings) { rs.remote.configure(settings); },
    store: function (path, text) { return client.storeFile('text/plain', path, text).then(function () { return true; }); },
    local: function (path) { return client.getFile(path, false).then(function (r) { return r && r.data !== undefined ? r.data : null; }); },
    syncInterval: function () { return rs.getSyncInterval(); },
    openStreams: function () { return rs.__changeStreams ? rs.__changeStreams.open : -1; }
  };
})();
