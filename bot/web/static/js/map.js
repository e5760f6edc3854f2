// Maps with the vendored Leaflet. Tiles come from data-tiles (BALAGH_MAP_TILE_URL); when they
// cannot be loaded (offline, no tile server) the map says so (data-unavailable) and still
// draws the pin. A map with data-input-lat/-lng is a picker.
// Pages that change part of themselves (the agent inbox) call window.balaghMaps(part) again.
(function () {
  "use strict";
  function draw(element) {
    if (element.dataset.drawn) { return; }
    element.dataset.drawn = "yes";
    var lat = parseFloat(element.dataset.lat || "25.38");
    var lng = parseFloat(element.dataset.lng || "49.59");
    var map = L.map(element).setView([lat, lng], element.dataset.lat ? 15 : 11);
    var tiles = L.tileLayer(element.dataset.tiles, { maxZoom: 19, attribution: "© OpenStreetMap" });
    tiles.once("tileerror", function () {
      var note = document.createElement("p");
      note.className = "map-unavailable";
      note.setAttribute("role", "status");
      note.textContent = element.dataset.unavailable || "";
      element.parentNode.insertBefore(note, element);
      element.classList.add("tiles-missing");
    });
    tiles.addTo(map);
    var marker = element.dataset.lat ? L.marker([lat, lng]).addTo(map) : null;
    var latInput = document.getElementById(element.dataset.inputLat || "");
    var lngInput = document.getElementById(element.dataset.inputLng || "");
    if (latInput && lngInput) {
      map.on("click", function (event) {
        var point = event.latlng;
        if (marker) { marker.setLatLng(point); } else { marker = L.marker(point).addTo(map); }
        lngInput.value = point.lng.toFixed(6);
        latInput.value = point.lat.toFixed(6);
        latInput.dispatchEvent(new Event("change"));
      });
    }
  }
  window.balaghMaps = function (root) { root.querySelectorAll("[data-map]").forEach(draw); };
  window.balaghMaps(document);
})();
