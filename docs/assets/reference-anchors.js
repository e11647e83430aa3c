// Links into the harness reference from before it was split into pages by module
// (/reference/#harness.processes.AppProcess, /reference/#proven.processes.AppProcess)
// land on that module's page. The map of module to page is written into
// /reference/ by its line `!moved-anchors` (src/proven/site/anchors_extension.py), from the
// pages' `::: proven.<module>` lines.
(function () {
  var match = /^#(?:harness|proven)\.([a-z_]+)(.*)$/.exec(location.hash);
  var moved = document.getElementById("moved-anchors");
  if (!match || !moved) return;
  var page = JSON.parse(moved.dataset.pages)[match[1]];
  if (page) location.replace(page + "#proven." + match[1] + match[2]);
})();
