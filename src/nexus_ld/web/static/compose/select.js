// Selecting words of a source's text (.article) offers a claim form prefilled with them. Offsets count
// Unicode code points of the source's own text, as the quote check does: the citation numbers the
// page adds (sup.cite) are left out. The server checks the offsets against the text again.
(function () {
  "use strict";
  var article = document.querySelector(".article");
  var offer = document.getElementById("compose-offer");
  if (!article || !offer) return;
  var base = new URL(offer.getAttribute("href"), window.location.href);
  var button = document.createElement("a");
  button.className = "compose-button";
  button.id = "compose-button";
  button.textContent = "Make a claim from this passage";
  button.hidden = true;
  document.body.appendChild(button);

  function textOf(fragment) {
    fragment.querySelectorAll("sup.cite").forEach(function (n) { n.remove(); });
    return fragment.textContent;
  }

  function codePoints(s) { return Array.from(s).length; }

  function update() {
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) { button.hidden = true; return; }
    var range = selection.getRangeAt(0);
    if (!article.contains(range.startContainer) || !article.contains(range.endContainer)) {
      button.hidden = true;
      return;
    }
    var before = document.createRange();
    before.setStart(article, 0);
    before.setEnd(range.startContainer, range.startOffset);
    var exact = textOf(range.cloneContents());
    if (!exact.trim()) { button.hidden = true; return; }
    var start = codePoints(textOf(before.cloneContents()));
    var url = new URL(base.href);
    url.searchParams.set("start", String(start));
    url.searchParams.set("end", String(start + codePoints(exact)));
    url.searchParams.set("exact", exact);
    button.href = url.pathname + url.search;
    var rect = range.getBoundingClientRect();
    button.style.top = (rect.bottom + window.scrollY + 8) + "px";
    button.style.left = (Math.max(8, rect.left + window.scrollX)) + "px";
    button.hidden = false;
  }

  document.addEventListener("selectionchange", update);
  article.addEventListener("mouseup", update);
})();
