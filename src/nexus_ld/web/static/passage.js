// A link to a passage (#char=start,end) outlines all of it: the text is cut into pieces where passages
// overlap, and CSS can outline only the piece after the target anchor, so each piece of the anchor's
// passage (data-passages lists the passages a piece belongs to) gets the class "in-target".
(function () {
  "use strict";
  function outline() {
    document.querySelectorAll(".article a.mark.in-target").forEach(function (el) {
      el.classList.remove("in-target");
    });
    var anchor = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (!anchor || !anchor.classList.contains("anchor")) return;
    document.querySelectorAll(".article a.mark").forEach(function (el) {
      if (el.dataset.passages.split(" ").indexOf(anchor.dataset.passage) >= 0) el.classList.add("in-target");
    });
  }
  window.addEventListener("hashchange", outline);
  outline();
})();
