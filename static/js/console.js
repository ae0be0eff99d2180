// The operator console: alerts pushed without a reload.
//
// htmx asks /console/alerts/?after=<id> every second (the poller in console.html) and puts the
// answer in the hidden poller. This script then moves each new alert to the top of the list,
// says how many arrived in the page's live region (WCAG 4.1.3, status messages), shows the
// count waiting in the document's title, and beeps if the operator asked for a sound.
// The answer also lists every alert waiting, so an alert whose id is lower than one already
// shown (two matching workers committing out of order) is asked for again, not lost.
(function () {
  "use strict";
  var poller = document.getElementById("alert-poller");
  if (!poller) {
    return;
  }
  var list = document.getElementById("pending-list");
  var after = document.getElementById("alert-after");
  var announce = document.getElementById("alert-announce");
  var problem = document.getElementById("alert-poll-problem");
  var empty = document.getElementById("pending-empty");
  var count = document.getElementById("pending-count");
  var soundRow = document.getElementById("alert-sound-row");
  var sound = document.getElementById("alert-sound");
  var title = poller.getAttribute("data-title") || document.title;
  var SOUND_KEY = "oversight.console.sound";
  var audio = null;

  function soundOn() {
    try {
      return window.localStorage.getItem(SOUND_KEY) === "on";
    } catch (e) {
      return false;
    }
  }

  function beep() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) {
      return;
    }
    audio = audio || new Context();
    if (audio.state === "suspended") {
      audio.resume();
    }
    var tone = audio.createOscillator();
    var gain = audio.createGain();
    tone.type = "sine";
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.2, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.3);
    tone.connect(gain);
    gain.connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.3);
  }

  // The sound is off unless the operator turns it on; the choice is kept in this browser.
  if (soundRow && sound) {
    soundRow.hidden = false;
    sound.checked = soundOn();
    sound.addEventListener("change", function () {
      try {
        window.localStorage.setItem(SOUND_KEY, sound.checked ? "on" : "off");
      } catch (e) {
        // Storage refused (private browsing): the choice lasts until the page is left.
      }
      if (sound.checked) {
        beep(); // a browser lets a page make sound after a click: this one
      }
    });
  }

  function shown() {
    var ids = {};
    var cards = list.querySelectorAll("[data-alert]");
    for (var i = 0; i < cards.length; i++) {
      ids[cards[i].getAttribute("data-alert")] = true;
    }
    return ids;
  }

  function say(text) {
    // Emptied first, so the same words twice in a row are announced twice.
    announce.textContent = "";
    window.setTimeout(function () {
      announce.textContent = text;
    }, 50);
  }

  function trouble(message) {
    // Said once, not once a second while the trouble lasts.
    if (problem.hidden || problem.textContent !== message) {
      problem.textContent = message;
      problem.hidden = false;
    }
  }

  function stop(message) {
    // Polling ends when the poller leaves the page.
    poller.remove();
    trouble(message);
  }

  // No request while the tab is hidden; the next tick after it is shown again asks at once.
  poller.addEventListener("htmx:beforeRequest", function (event) {
    if (document.hidden) {
      event.preventDefault();
    }
  });

  poller.addEventListener("htmx:afterSwap", function () {
    var fragment = poller.querySelector("[data-alerts-fragment]");
    if (!fragment) {
      // Not the alerts: the sign-in page, after the session ended.
      poller.textContent = "";
      stop("This page has stopped showing new alerts: reload it (you may have to sign in again).");
      return;
    }
    problem.hidden = true;
    var seen = shown();
    var cards = fragment.querySelectorAll("[data-alert]");
    var arrived = 0;
    for (var i = cards.length - 1; i >= 0; i--) {
      var id = cards[i].getAttribute("data-alert");
      if (!seen[id]) {
        // The answer is newest first: each older one goes in above what is there, so the
        // newest ends at the top.
        list.insertBefore(cards[i], list.firstChild);
        seen[id] = true;
        arrived++;
      }
    }
    poller.textContent = "";
    var waiting = (fragment.getAttribute("data-waiting") || "").split(" ").filter(Boolean);
    var latest = parseInt(fragment.getAttribute("data-latest"), 10) || 0;
    var cursor = Math.max(parseInt(after.value, 10) || 0, latest);
    // A waiting alert the page has not shown and that is older than the cursor: ask from it.
    for (var j = 0; j < waiting.length; j++) {
      var pk = parseInt(waiting[j], 10);
      if (!seen[waiting[j]] && pk <= cursor) {
        cursor = pk - 1;
      }
    }
    after.value = String(cursor);
    count.textContent = String(waiting.length);
    document.title = (waiting.length ? "(" + waiting.length + ") " : "") + title;
    if (arrived) {
      empty.hidden = true;
      say(arrived + (arrived === 1 ? " new alert" : " new alerts") + " at " +
          new Date().toLocaleTimeString("en-GB") + ".");
      if (sound && sound.checked) {
        beep();
      }
    }
  });

  poller.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status === 403 || status === 404) {
      stop("This page has stopped showing new alerts: you no longer operate this deployment.");
    } else {
      trouble("The register did not answer (" + status + "): new alerts may be late. This " +
        "page keeps asking.");
    }
  });

  poller.addEventListener("htmx:sendError", function () {
    trouble("The register cannot be reached: new alerts may be late. This page keeps asking.");
  });
})();
