// The live inbox: asks every few seconds whether anything changed (If-None-Match; a 304 when nothing
// did), and when something did, swaps in the new list and the tab title's count, and says how many
// requests are new to a screen reader. No framework, no inline script (the pages' CSP forbids it).
(function () {
  "use strict";
  var list = document.getElementById("requests");
  if (!list || !window.fetch || !window.DOMParser) return;
  var seconds = Math.max(1, parseInt(list.getAttribute("data-poll-seconds"), 10) || 10);
  var status = document.getElementById("live-status");
  var etag = null;

  function references(root) {
    var seen = {};
    root.querySelectorAll("tr[data-reference]").forEach(function (row) {
      seen[row.getAttribute("data-reference")] = true;
    });
    return seen;
  }

  function show(html) {
    var next = new DOMParser().parseFromString(html, "text/html");
    var fresh = next.getElementById("requests");
    if (!fresh) return false; // not the inbox (a login page after the session ended): stop asking
    var before = references(list);
    var arrived = Object.keys(references(fresh)).filter(function (ref) { return !before[ref]; });
    // Keep the keyboard where it was: the same link in the new list gets the focus back.
    var focused = document.activeElement;
    var focusedHref = focused && list.contains(focused) ? focused.getAttribute("href") : null;
    list.innerHTML = fresh.innerHTML;
    if (focusedHref) {
      var again = Array.prototype.find.call(list.querySelectorAll("a[href]"), function (link) {
        return link.getAttribute("href") === focusedHref;
      });
      if (again) again.focus();
    }
    document.title = next.title;
    if (arrived.length && status) {
      status.textContent = arrived.length === 1 ? "1 new request" : arrived.length + " new requests";
    }
    return true;
  }

  function poll() {
    var headers = { "X-Inbox-Poll": "1" };
    if (etag) headers["If-None-Match"] = etag;
    fetch(window.location.href, { headers: headers, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status === 304) return true;
        if (!response.ok || response.redirected) return false;
        etag = response.headers.get("ETag");
        return response.text().then(show);
      })
      .then(function (goOn) { if (goOn) window.setTimeout(poll, seconds * 1000); },
            function () { window.setTimeout(poll, seconds * 2000); }); // offline: try again, slower
  }

  window.setTimeout(poll, seconds * 1000);
})();
