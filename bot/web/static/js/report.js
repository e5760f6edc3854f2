// The portal's report form: a photo over the size limit is refused beside its field before
// anything is sent (the server refuses it too, and keeps what was typed when it does); once a
// place and a category are chosen, open reports of the same problem nearby are offered.
(function () {
  "use strict";
  var nearby = document.getElementById("nearby");
  var category = document.getElementById("category");
  var lat = document.getElementById("lat");
  var lng = document.getElementById("lng");

  function offerNearby() {
    if (!nearby || !category.value || !lat.value || !lng.value) { return; }
    var query = new URLSearchParams({ category: category.value, lat: lat.value, lng: lng.value,
      lang: nearby.dataset.lang });
    fetch("/report/nearby?" + query, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (reports) {
        var list = document.getElementById("nearby-list");
        var template = document.getElementById("nearby-item");
        list.replaceChildren();
        reports.forEach(function (report) {
          var item = template.content.firstElementChild.cloneNode(true);
          item.querySelector(".nearby-what").textContent = report.category;
          item.querySelector(".nearby-distance").textContent = report.distance;
          item.querySelector(".nearby-status").textContent = report.status;
          item.querySelector(".nearby-when").textContent = report.reported;
          item.querySelector("button").value = report.reference;
          item.dataset.reference = report.reference;
          list.append(item);
        });
        nearby.hidden = reports.length === 0;
      })
      .catch(function () { nearby.hidden = true; });
  }
  if (category && lat && lng) {
    category.addEventListener("change", offerNearby);
    lat.addEventListener("change", offerNearby);
    offerNearby();
  }

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
