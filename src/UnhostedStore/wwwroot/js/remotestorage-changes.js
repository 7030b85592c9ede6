// remotestorage-changes.js: live change notifications for remotestorage.js (1.x and 2.x).
//
// Add it with one <script> after remotestorage.js; nothing else changes in the app:
//   <script src="remotestorage.js"></script>
//   <script src="https://your-server.example/js/remotestorage-changes.js"></script>
//
// When the connected storage announces change streams (WebFinger property
// "http://remotestorage.io/spec/changes": "SSE", spec/changes-extension.md of UnhostedStore),
// it opens one stream per root folder the app has access to, has the library sync each changed
// document as soon as the server reports it, resumes after a break with Last-Event-ID, and slows
// the library's polling down to minutes while a stream is open (polling stays as a fallback).
// Without the property it does nothing. Apps that create their RemoteStorage instance before this
// script runs call RemoteStorageChanges.attach(remoteStorage) themselves.
/* global RemoteStorage */
(function (global) {
  'use strict';

  var PROPERTY = 'http://remotestorage.io/spec/changes';
  var SLOW_SYNC_INTERVAL = 5 * 60 * 1000;
  var MAX_BACKOFF = 60 * 1000;

  function attach(rs) {
    if (!rs || rs.__changeStreams) { return rs && rs.__changeStreams; }
    var streams = [];
    var savedIntervals = null;
    var state = { open: 0, events: 0, supported: false, streams: streams };
    rs.__changeStreams = state;

    function storageKey(folder) { return 'remotestorage:changes:' + rs.remote.href + folder; }
    function loadId(folder) { try { return global.localStorage.getItem(storageKey(folder)); } catch (e) { return null; } }
    function saveId(folder, id) { try { global.localStorage.setItem(storageKey(folder), id); } catch (e) { /* private mode */ } }
    function clearId(folder) { try { global.localStorage.removeItem(storageKey(folder)); } catch (e) { /* private mode */ } }

    function rootFolders() {
      var access = rs.access;
      if (access && access.rootPaths && access.rootPaths.length) { return access.rootPaths.slice(); }
      var folders = [];
      ((access && access.scopes) || []).forEach(function (s) {
        if (s.name === '*') { folders.push('/'); } else { folders.push('/' + s.name + '/', '/public/' + s.name + '/'); }
      });
      return folders;
    }

    function encodePath(path) {
      return path.split('/').map(function (segment) { return encodeURIComponent(segment); }).join('/');
    }

    // Polling as a safety net only: minutes instead of seconds while a stream is open.
    function slowDown() {
      if (savedIntervals || typeof rs.setSyncInterval !== 'function') { return; }
      savedIntervals = { fg: rs.getSyncInterval(), bg: rs.getBackgroundSyncInterval && rs.getBackgroundSyncInterval() };
      rs.setSyncInterval(SLOW_SYNC_INTERVAL);
      if (rs.setBackgroundSyncInterval) { rs.setBackgroundSyncInterval(SLOW_SYNC_INTERVAL); }
      // The next sync was planned with the old interval: plan it anew.
      if (rs._syncTimer && rs.sync && typeof rs.sync.sync === 'function') {
        clearTimeout(rs._syncTimer);
        rs._syncTimer = setTimeout(rs.sync.sync.bind(rs.sync), SLOW_SYNC_INTERVAL);
      }
    }

    function restore() {
      if (!savedIntervals) { return; }
      try {
        rs.setSyncInterval(savedIntervals.fg);
        if (savedIntervals.bg && rs.setBackgroundSyncInterval) { rs.setBackgroundSyncInterval(savedIntervals.bg); }
      } catch (e) { /* an interval the library no longer accepts: keep the slow one */ }
      savedIntervals = null;
    }

    function fullSync() {
      if (typeof rs.startSync === 'function') { return rs.startSync(); }
      if (rs.sync && typeof rs.sync.sync === 'function') { return rs.sync.sync(); }
    }

    // One changed document: fetched (or removed) through the library's own sync, which updates
    // the cache and emits the usual 'change' events with origin 'remote'. Documents the app does
    // not cache, and versions the cache already has (the app's own writes come back too), cost
    // no request.
    function syncPath(change) {
      state.events++;
      if (typeof global.dispatchEvent === 'function' && typeof global.CustomEvent === 'function') {
        global.dispatchEvent(new global.CustomEvent('remotestorage-change', { detail: change }));
      }
      var sync = rs.sync;
      if (!sync || (rs.caching && rs.caching.checkPath && rs.caching.checkPath(change.path) === 'SEEN')) { return; }
      var known = rs.local && typeof rs.local.getNodes === 'function'
        ? rs.local.getNodes([change.path]).then(function (nodes) { return nodes[change.path]; })
        : Promise.resolve(undefined);
      known.then(function (node) {
        var revision = node && node.common && node.common.revision;
        if ((change.deleted && (!node || (node.common && node.common.body === false))) || (!change.deleted && revision === change.etag)) { return; }
        if (typeof sync.queueGetRequest === 'function') {
          return sync.queueGetRequest(change.path);
        }
        sync.addTask(change.path);
        sync.doTasks();
      }).catch(function () { /* offline: the next sync catches up */ });
    }

    function Stream(folder) {
      this.folder = folder;
      this.controller = null;
      this.backoff = 1000;
      this.stopped = false;
      this.open = false;
    }

    Stream.prototype.start = function () {
      var self = this;
      if (self.stopped) { return; }
      var headers = { Accept: 'text/event-stream', Authorization: 'Bearer ' + rs.remote.token };
      var last = loadId(self.folder);
      if (last) { headers['Last-Event-ID'] = last; }
      self.controller = typeof AbortController === 'function' ? new AbortController() : null;
      fetch(rs.remote.href + encodePath(self.folder), { headers: headers, signal: self.controller && self.controller.signal, cache: 'no-store' })
        .then(function (response) {
          var type = response.headers.get('Content-Type') || '';
          if (response.status === 401 || response.status === 403) { self.stopped = true; throw new Error('not authorized'); }
          if (!response.ok || type.indexOf('text/event-stream') !== 0 || !response.body) { throw new Error('no stream: ' + response.status); }
          self.open = true;
          state.open++;
          slowDown();
          return self.read(response.body.getReader());
        })
        .catch(function () { /* answered below */ })
        .then(function () {
          if (self.open) { self.open = false; state.open--; }
          if (state.open === 0) { restore(); }
          if (!self.stopped) {
            setTimeout(function () { self.start(); }, self.backoff);
            self.backoff = Math.min(self.backoff * 2, MAX_BACKOFF);
          }
        });
    };

    Stream.prototype.read = function (reader) {
      var self = this;
      var decoder = new TextDecoder();
      var buffer = '';
      var event = { id: null, type: null, data: [] };

      function dispatch() {
        if (event.id !== null) { self.lastId = event.id; }
        if (event.type === 'change' && event.data.length) {
          syncPath(JSON.parse(event.data.join('\n')));
          saveId(self.folder, event.id);
        } else if (event.type === 'reset') {
          if (event.id !== null) { saveId(self.folder, event.id); } else { clearId(self.folder); }
          fullSync();
        }
        event = { id: null, type: null, data: [] };
      }

      function line(text) {
        if (text === '') { dispatch(); return; }
        if (text.charAt(0) === ':') { self.backoff = 1000; return; }
        var colon = text.indexOf(':');
        var field = colon < 0 ? text : text.slice(0, colon);
        var value = colon < 0 ? '' : text.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') { event.id = value; } else if (field === 'event') { event.type = value; } else if (field === 'data') { event.data.push(value); } else if (field === 'retry' && /^\d+$/.test(value)) { self.backoff = parseInt(value, 10); }
      }

      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) { return; }
          buffer += decoder.decode(chunk.value, { stream: true });
          var end;
          while ((end = buffer.search(/\r\n|\r|\n/)) >= 0) {
            var text = buffer.slice(0, end);
            buffer = buffer.slice(end + (buffer.substr(end, 2) === '\r\n' ? 2 : 1));
            line(text);
          }
          return pump();
        });
      }

      return pump();
    };

    Stream.prototype.stop = function () {
      this.stopped = true;
      if (this.controller) { this.controller.abort(); }
    };

    function start() {
      stop();
      var properties = rs.remote && rs.remote.properties;
      state.supported = !!(properties && properties[PROPERTY] === 'SSE' && rs.remote.token && typeof fetch === 'function');
      if (!state.supported) { return; }
      rootFolders().forEach(function (folder) {
        var stream = new Stream(folder);
        streams.push(stream);
        stream.start();
      });
    }

    function stop() {
      streams.splice(0).forEach(function (s) { s.stop(); });
      restore();
    }

    rs.on('connected', start);
    rs.on('disconnected', stop);
    rs.on('not-connected', stop);
    if (rs.remote && rs.remote.connected) { start(); }
    state.stop = stop;
    state.restart = start;
    return state;
  }

  global.RemoteStorageChanges = { attach: attach, property: PROPERTY };

  // Every RemoteStorage the app creates from now on gets change streams.
  var Original = global.RemoteStorage;
  if (typeof Original === 'function' && !Original.__withChangeStreams) {
    var Wrapped = function RemoteStorage() {
      var instance = Reflect.construct(Original, Array.prototype.slice.call(arguments), new.target || Wrapped);
      attach(instance);
      return instance;
    };
    Wrapped.prototype = Original.prototype;
    Object.setPrototypeOf(Wrapped, Original);
    Wrapped.__withChangeStreams = true;
    global.RemoteStorage = Wrapped;
  }
})(typeof window !== 'undefined' ? window : this);
