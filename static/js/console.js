// The operator console: alerts pushed without a reload.
//
// htmx asks /console/alerts/?after=<id> every second (the poller in console.html) and puts the
// answer in the hidden poller. This script then moves each new alert to the top of the list,
// says how many arrived in the page's live region (WCAG 4.1.3, status messages), shows the
// count waiting in the document's title, and beeps if the operator asked for a sound. It also
// brings each camera's figures up to date, and the gate panel and the camera rows when they
// change (a run started or stopped, the deployment suspended).
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

  // Each camera's frames and faces seen, every second: text only, so focus stays where it is.
  function figures(part) {
    if (!part) {
      return;
    }
    var rows = part.querySelectorAll("[data-camera]");
    for (var i = 0; i < rows.length; i++) {
      var pk = rows[i].getAttribute("data-camera");
      var frames = document.getElementById("camera-" + pk + "-frames");
      var faces = document.getElementById("camera-" + pk + "-faces");
      if (frames && faces) {
        frames.textContent = rows[i].getAttribute("data-frames");
        faces.textContent = rows[i].getAttribute("data-faces");
      }
    }
    var time = document.getElementById("camera-figures-time");
    if (time) {
      time.textContent = "The figures are as of " + part.getAttribute("data-time") + ".";
    }
  }

  // The gate panel and the cameras, sent again only when a run started, stopped or went
  // quiet, or the deployment's state or window changed. Focus on a control that is replaced
  // moves to the same control in the new rows if there is one, else to the section's heading.
  function live(part) {
    if (!part) {
      return false;
    }
    var focused = document.activeElement;
    var focusRow = null;
    var focusLost = false;
    var parts = part.querySelectorAll("[data-part]");
    for (var i = 0; i < parts.length; i++) {
      var target = document.getElementById(parts[i].getAttribute("data-part"));
      if (!target) {
        continue;
      }
      if (focused && focused !== document.body && target.contains(focused)) {
        var row = focused.closest("tr[id]");
        focusRow = row ? row.id : null;
        focusLost = true;
      }
      target.replaceChildren.apply(target, Array.prototype.slice.call(parts[i].childNodes));
    }
    document.getElementById("console-state").value = part.getAttribute("data-state");
    if (focusLost) {
      var again = focusRow && document.querySelector("#" + focusRow + " button");
      var heading = document.getElementById("cameras-h");
      if (again) {
        again.focus();
      } else if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus();
      }
    }
    return true;
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
    figures(poller.querySelector("[data-camera-figures]"));
    var changed = live(poller.querySelector("[data-console-live]"));
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
    var news = [];
    if (arrived) {
      empty.hidden = true;
      news.push(arrived + (arrived === 1 ? " new alert" : " new alerts"));
      if (sound && sound.checked) {
        beep();
      }
    }
    if (changed) {
      news.push(arrived ? "the cameras or the gate changed" : "The cameras or the gate changed");
    }
    if (news.length) {
      say(news.join(", and ") + " at " + new Date().toLocaleTimeString("en-GB") + ".");
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
