// Reply templates: choosing one fills the reply box with its text in the complaint's language,
// for staff to adapt. Without scripts, an empty box sends the chosen template as it is.
(function () {
  "use strict";
  var select = document.getElementById("reply-template");
  var box = document.getElementById("reply-text");
  if (!select || !box) { return; }
  select.addEventListener("change", function () {
    var option = select.options[select.selectedIndex];
    if (option && option.dataset.text) { box.value = option.dataset.text; }
  });
})();
