/* The work log form: list the chosen photos, and refuse one over the size limit (or too
   many) next to the field before anything is sent, so nothing typed is lost. The server
   checks everything again. */
(function () {
  "use strict";
  var group = document.getElementById("photos-group");
  if (!group) { return; }
  var form = document.getElementById("work-log-form");
  var list = document.getElementById("photo-chosen");
  var error = document.getElementById("photo-client-error");
  var maxBytes = parseInt(group.getAttribute("data-max-bytes"), 10);
  var maxPhotos = parseInt(group.getAttribute("data-max-photos"), 10);
  var kept = document.querySelectorAll("#kept-photos input[name=remove_photo]").length;

  function chosen() {
    var files = [];
    Array.prototype.forEach.call(group.querySelectorAll("input[type=file]"), function (input) {
      Array.prototype.forEach.call(input.files || [], function (f) { files.push(f); });
    });
    return files;
  }
  function problem(files) {
    for (var i = 0; i < files.length; i++) {
      if (files[i].size > maxBytes) {
        return group.getAttribute("data-too-large").replace("{name}", files[i].name);
      }
    }
    if (kept + files.length > maxPhotos) { return group.getAttribute("data-too-many"); }
    return "";
  }
  function show() {
    var files = chosen();
    list.textContent = "";
    files.forEach(function (f) {
      var li = document.createElement("li");
      li.textContent = f.name + " · " + Math.ceil(f.size / 1024) + " KB";
      list.appendChild(li);
    });
    var message = problem(files);
    error.textContent = message;
    error.hidden = !message;
    group.classList.toggle("has-error", !!message);
    return message;
  }
  // The camera gives one photo per shot: keep each shot's input and offer a fresh one, so
  // several shots go with one log.
  var shots = 0;
  function onCamera(event) {
    var input = event.target;
    if (input.files && input.files.length) {
      shots += 1;
      var fresh = input.cloneNode(false);
      input.id = "photo-camera-" + shots;
      fresh.value = "";
      fresh.addEventListener("change", onCamera);
      input.parentNode.insertBefore(fresh, input.nextSibling);
    }
    show();
  }
  document.getElementById("photo-camera").addEventListener("change", onCamera);
  document.getElementById("photo-album").addEventListener("change", show);
  form.addEventListener("submit", function (event) {
    if (show()) { event.preventDefault(); error.scrollIntoView({block: "center"}); }
  });
})();
