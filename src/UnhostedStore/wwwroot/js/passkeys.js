// Passkeys (WebAuthn Level 3) on the login, re-authentication and security pages.
// A form with data-passkey="get" (log in, confirm) or "create" (add a passkey) holds a hidden
// "credential" input and a [data-passkey-start] button. The button asks the server for options
// (POST to data-options-url, with the form's antiforgery token), runs the browser's ceremony,
// puts the JSON result into "credential" and submits the form: the server checks everything.
// The JSON forms of WebAuthn L3 (parse*OptionsFromJSON, toJSON) are used where the browser has
// them, base64url conversion by hand where it does not.
(function () {
  'use strict';

  function toBytes(base64url) {
    var base64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
    while (base64.length % 4) {
      base64 += '=';
    }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = '';
    for (var i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function descriptors(list) {
    return (list || []).map(function (d) {
      var copy = Object.assign({}, d);
      copy.id = toBytes(d.id);
      return copy;
    });
  }

  function creationOptions(json) {
    if (typeof PublicKeyCredential.parseCreationOptionsFromJSON === 'function') {
      return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    }
    var options = Object.assign({}, json);
    options.challenge = toBytes(json.challenge);
    options.user = Object.assign({}, json.user, { id: toBytes(json.user.id) });
    options.excludeCredentials = descriptors(json.excludeCredentials);
    return options;
  }

  function requestOptions(json) {
    if (typeof PublicKeyCredential.parseRequestOptionsFromJSON === 'function') {
      return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    }
    var options = Object.assign({}, json);
    options.challenge = toBytes(json.challenge);
    options.allowCredentials = descriptors(json.allowCredentials);
    return options;
  }

  function credentialJson(credential) {
    if (typeof credential.toJSON === 'function') {
      return JSON.stringify(credential.toJSON());
    }
    var r = credential.response;
    var response = { clientDataJSON: toBase64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toBase64url(r.attestationObject);
      response.transports = typeof r.getTransports === 'function' ? r.getTransports() : [];
    } else {
      response.authenticatorData = toBase64url(r.authenticatorData);
      response.signature = toBase64url(r.signature);
      response.userHandle = r.userHandle ? toBase64url(r.userHandle) : null;
    }
    return JSON.stringify({
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: response
    });
  }

  function antiforgery(form) {
    var input = form.querySelector('input[name="__RequestVerificationToken"]');
    return input ? input.value : '';
  }

  // The options are JSON; an answer { reauth: url } means the login is too old for this action.
  function fetchOptions(form) {
    return fetch(form.dataset.optionsUrl, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'RequestVerificationToken': antiforgery(form), 'Accept': 'application/json' }
    }).then(function (response) {
      if (!response.ok) {
        throw new Error('options');
      }
      return response.json();
    }).then(function (json) {
      if (json.reauth) {
        window.location.assign(json.reauth);
        throw new Error('reauth');
      }
      return json;
    });
  }

  function say(form, text) {
    var error = form.querySelector('[data-passkey-error]');
    if (error) {
      error.textContent = text;
      error.hidden = !text;
    }
  }

  // The words come from the form's error element, in the page's language (data-t-*); a page
  // that does not give them keeps these English ones.
  function explain(form, error) {
    var holder = form.querySelector('[data-passkey-error]');
    function text(name, english) { return (holder && holder.getAttribute('data-t-' + name)) || english; }
    if (error && error.name === 'NotAllowedError') {
      return text('cancelled', 'No passkey was used (the request was cancelled or timed out). Try again.');
    }
    if (error && error.name === 'InvalidStateError') {
      return text('registered', 'This passkey is already registered for your account.');
    }
    if (error && error.message === 'reauth') {
      return '';
    }
    return text('failed', 'Your browser could not use a passkey here. Try again, or use another way.');
  }

  function finish(form, credential) {
    form.querySelector('input[name="credential"]').value = credentialJson(credential);
    form.submit();
  }

  function setUp(form) {
    var start = form.querySelector('[data-passkey-start]');
    if (!window.PublicKeyCredential || !navigator.credentials || !start) {
      var unsupported = form.querySelector('[data-passkey-unsupported]');
      if (unsupported) {
        unsupported.hidden = false;
      }
      return;
    }
    start.hidden = false;
    start.disabled = false;
    var create = form.dataset.passkey === 'create';
    var conditional = null;
    var pending = Promise.resolve();

    // Conditional mediation: the browser offers passkeys in the user name field's autofill.
    if (!create && form.dataset.conditional === 'true' && typeof PublicKeyCredential.isConditionalMediationAvailable === 'function') {
      pending = PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
        if (!available) {
          return;
        }
        return fetchOptions(form).then(function (json) {
          conditional = new AbortController();
          navigator.credentials.get({ publicKey: requestOptions(json), mediation: 'conditional', signal: conditional.signal })
            .then(function (credential) {
              if (credential) {
                finish(form, credential);
              }
            })
            .catch(function () { });
        });
      }).catch(function () { });
    }

    start.addEventListener('click', function (event) {
      event.preventDefault();
      if (create && typeof form.reportValidity === 'function' && !form.reportValidity()) {
        return;
      }
      say(form, '');
      start.disabled = true;

      // The autofill request waits while the button's own one runs (one ceremony at a time,
      // and the server keeps only the latest challenge).
      pending.then(function () {
        if (conditional) {
          conditional.abort();
          conditional = null;
        }
        return fetchOptions(form);
      }).then(function (json) {
        return create
          ? navigator.credentials.create({ publicKey: creationOptions(json) })
          : navigator.credentials.get({ publicKey: requestOptions(json) });
      }).then(function (credential) {
        if (!credential) {
          throw new Error('none');
        }
        finish(form, credential);
      }).catch(function (error) {
        start.disabled = false;
        say(form, explain(form, error));
      });
    });
  }

  document.querySelectorAll('form[data-passkey]').forEach(setUp);
})();
