// The portal's report form: a photo over the size limit is refused beside its field before
// anything is sent (the server refuses it too, and keeps what was typed when it does).
(function () {
  "use strict";
  var photo = document.getElementById("photo");
  var tooLarge = document.getElementById("error-photo-size");
  if (!photo || !tooLarge) { return; }
  photo.addEventListener("change", function () {
    var file = photo.files && photo.files[0];
    var over = Boolean(file && file.size > Number(photo.dataset.maxBytes));
    tooLarge.hidden = !over;
    if (over) { photo.value = ""; }
  });
})();
