// A tiny unhosted app on the real remotestorage.js. The end-to-end tests drive it through
// window.app (Playwright's page.evaluate); every call returns plain JSON-serialisable values.
/* global RemoteStorage */
(function () {
  'use strict';

  var state = { ready: false, connected: false, events: [] };
  function record(type, detail) {
    state.events.push({ type: type, name: (detail && detail.name) || null, message: (detail && detail.message) || null });
  }

  var rs = new RemoteStorage({ cache: false, logging: false });
  rs.access.claim('notes', 'rw');
  if (rs.caching) {
    // Every read and write goes to the server, so the tests see the server's answers.
    rs.caching.disable('/notes/');
    rs.caching.disable('/public/notes/');
  }

  rs.on('ready', function () { state.ready = true; record('ready'); });
  rs.on('connected', function () { state.connected = true; setStatus('connected'); record('connected'); });
  rs.on('not-connected', function () { state.connected = false; record('not-connected'); });
  rs.on('disconnected', function () { state.connected = false; setStatus('disconnected'); record('disconnected'); });
  rs.on('error', function (e) { record('error', e); });

  function setStatus(text) {
    var el = document.getElementById('status');
    if (el) { el.textContent = text; }
  }

  var client = rs.scope('/notes/');
  client.declareType('note', {
    type: 'object',
    properties: { title: { type: 'string' }, tags: { type: 'array' } },
    required: ['title']
  });

  function plain(response) {
    if (!response) { return response; }
    var body = response.body !== undefined ? response.body : response.data;
    var out = { statusCode: response.statusCode, contentType: response.contentType, revision: response.revision };
    out.bodyType = Object.prototype.toString.call(body);
    if (body instanceof ArrayBuffer) {
      out.bytes = Array.from(new Uint8Array(body));
    } else if (ArrayBuffer.isView(body)) {
      out.bytes = Array.from(new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
    } else {
      out.body = body;
    }
    return out;
  }

  window.app = {
    state: state,
    rs: rs,
    connect: function (userAddress) { rs.connect(userAddress); },
    reconnect: function () { rs.reconnect(); },
    storageHref: function () { return rs.remote.href; },
    token: function () { return rs.remote.token; },

    // The scope client (BaseClient), as apps use it.
    storeText: function (path, text) { return client.storeFile('text/plain', path, text).then(function (rev) { return { revision: rev }; }); },
    storeNote: function (path, note) { return client.storeObject('note', path, note).then(function () { return { ok: true }; }); },
    getText: function (path) { return client.getFile(path, false).then(plain); },
    getNote: function (path) { return client.getObject(path, false); },
    listing: function (path) { return client.getListing(path || '', false); },
    remove: function (path) { return client.remove(path).then(function (r) { return r === undefined ? { ok: true } : plain(r); }); },

    // The remote (WireClient) directly, for binary bodies, conditions and statuses.
    put: function (path, body, contentType, options) { return rs.remote.put(path, body, contentType, options || {}).then(plain); },
    putBytes: function (path, bytes, contentType) { return rs.remote.put(path, new Uint8Array(bytes).buffer, contentType, {}).then(plain); },
    get: function (path) { return rs.remote.get(path, {}).then(plain); },

    // A fetch with the app's token, reading the body as bytes.
    fetchBytes: function (url) {
      return fetch(url, { headers: { Authorization: 'Bearer ' + rs.remote.token } }).then(function (r) {
        return r.arrayBuffer().then(function (b) { return { status: r.status, bytes: Array.from(new Uint8Array(b)) }; });
      });
    },

    // A plain fetch without Authorization, as anyone on the web could send.
    fetchPublic: function (url) {
      return fetch(url, { credentials: 'omit' }).then(function (r) {
        return r.text().then(function (text) { return { status: r.status, body: text, contentType: r.headers.get('Content-Type') }; });
      });
    }
  };
})();
