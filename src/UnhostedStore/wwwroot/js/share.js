// Share pages: a folder's audio plays as a playlist (click a track; at its end the next one
// starts). Without this script each track still opens on its own page with a player.
(function () {
  'use strict';
  var player = document.getElementById('playlist-player');
  var list = document.getElementById('playlist');
  if (!player || !list) { return; }
  var tracks = Array.prototype.slice.call(list.querySelectorAll('.track'));
  var nowPlaying = document.getElementById('now-playing');
  var current = -1;

  function play(index) {
    if (index < 0 || index >= tracks.length) { return; }
    if (current >= 0) { tracks[current].parentNode.removeAttribute('aria-current'); }
    current = index;
    var track = tracks[index];
    track.parentNode.setAttribute('aria-current', 'true');
    player.src = track.getAttribute('data-src');
    if (nowPlaying) {
      // The words come from the page, in its language: data-t-playing with {0} of {1}: {2}.
      var words = nowPlaying.getAttribute('data-t-playing') || '';
      var values = [index + 1, tracks.length, track.textContent];
      nowPlaying.textContent = words.replace(/\{(\d)\}/g, function (m, i) { return String(values[Number(i)]); });
    }
    var started = player.play();
    if (started && started.catch) { started.catch(function () { /* the person presses play */ }); }
  }

  tracks.forEach(function (track, index) {
    track.addEventListener('click', function () { play(index); });
  });
  player.addEventListener('ended', function () { play(current + 1); });
  if (tracks.length > 0) {
    player.src = tracks[0].getAttribute('data-src');
    current = 0;
    tracks[0].parentNode.setAttribute('aria-current', 'true');
  }
}());
