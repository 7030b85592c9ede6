// The history pages: exact times shown in the browser's time zone, the folder restore's
// chosen time sent with this zone's UTC offset, and a busy state on long submits.
// Without this script the pages work the same, with times in UTC.
(function () {
  'use strict';

  var pad = function (n) { return (n < 10 ? '0' : '') + n; };
  var zoneName = function () {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch (e) { return ''; }
  };
  var offsetText = function (minutes) {
    var sign = minutes < 0 ? '\u2212' : '+';
    var abs = Math.abs(minutes);
    return 'UTC' + sign + pad(Math.floor(abs / 60)) + ':' + pad(abs % 60);
  };

  // "(5 Dec 2026, 16:41:07 UTC)" becomes the same moment in local time.
  var exact = document.querySelectorAll('.exact[data-utc]');
  for (var i = 0; i < exact.length; i++) {
    var d = new Date(exact[i].getAttribute('data-utc'));
    if (!isNaN(d.getTime())) {
      exact[i].textContent = '(' + d.toLocaleString(document.documentElement.lang || undefined, { dateStyle: 'medium', timeStyle: 'medium' }) + ')';
    }
  }

  var plain = document.querySelectorAll('.local-time[data-utc]');
  for (var p = 0; p < plain.length; p++) {
    var t = new Date(plain[p].getAttribute('data-utc'));
    if (!isNaN(t.getTime())) {
      plain[p].title = plain[p].textContent;
      plain[p].textContent = t.toLocaleString(document.documentElement.lang || undefined, { dateStyle: 'medium', timeStyle: 'medium' });
    }
  }

  var form = document.getElementById('restore-form');
  if (form) {
    var input = document.getElementById('restore-as-of');
    var offset = document.getElementById('restore-offset');
    var zone = document.getElementById('restore-zone');
    var note = document.getElementById('tz-note');
    var name = zoneName();
    // The words come from the page, in its language (data-t-zone, data-t-zone-named).
    var here = offsetText(-new Date().getTimezoneOffset());
    note.textContent = name
      ? (note.getAttribute('data-t-zone-named') || '').replace('{0}', name).replace('{1}', here)
      : (note.getAttribute('data-t-zone') || '').replace('{0}', here);

    // The offset of the chosen moment (daylight saving time may differ from today's).
    var fill = function () {
      var chosen = input.value ? new Date(input.value) : null;
      if (chosen && !isNaN(chosen.getTime())) {
        offset.value = String(-chosen.getTimezoneOffset());
        zone.value = name;
      } else {
        offset.value = '';
        zone.value = '';
      }
    };
    input.addEventListener('change', fill);
    form.addEventListener('submit', fill);
  }

  // A submit that takes a while: the button says so and cannot be pressed twice.
  var busyForms = document.querySelectorAll('form[data-busy]');
  for (var j = 0; j < busyForms.length; j++) {
    busyForms[j].addEventListener('submit', function (event) {
      var f = event.currentTarget;
      var button = f.querySelector('button[type=submit]');
      f.setAttribute('aria-busy', 'true');
      if (button) {
        button.textContent = f.getAttribute('data-busy');
        button.classList.add('busy');
        // After this event: a disabled button would not stop the submission, but wait anyway.
        window.setTimeout(function () { button.disabled = true; }, 0);
      }
    });
  }
})();
