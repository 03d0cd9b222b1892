// The notification bell: refresh the unread count every minute (no page reload).
(function () {
  var bell = document.getElementById("notification-bell");
  var badge = document.getElementById("notification-count");
  if (!bell || !badge || !window.fetch) { return; }
  var url = bell.getAttribute("data-unread-url");
  if (!url) { return; }
  function show(count) {
    badge.textContent = count > 99 ? "99+" : String(count);
    badge.style.display = count > 0 ? "" : "none";
  }
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (resp) { return resp.ok ? resp.json() : null; })
      .then(function (data) {
        if (data && typeof data.count === "number") { show(data.count); }
        setTimeout(tick, 60000);
      })
      .catch(function () { setTimeout(tick, 120000); });
  }
  setTimeout(tick, 60000);
})();
