(function () {
  "use strict";
  var dataEl = document.getElementById("report-data");
  var data = dataEl ? JSON.parse(dataEl.textContent) : {};
  var L = data.labels || {};
  var SAFE_PAGE = /^[a-z0-9][a-z0-9.\-]*\.html$/;

  function text(tag, value, cls) {
    var el = document.createElement(tag);
    if (cls) { el.className = cls; }
    el.textContent = value == null ? "" : String(value);
    return el;
  }

  function link(page, anchor, value) {
    var a = text("a", value);
    if (typeof page === "string" && SAFE_PAGE.test(page)) {
      a.setAttribute("href", page + (anchor ? "#" + anchor : ""));
    }
    return a;
  }

  /* Sortable tables: a th with data-col sorts its table's body by that column. */
  function cellKey(row, col, type) {
    var cell = row.cells[col];
    if (!cell) { return type === "num" ? -Infinity : ""; }
    var v = cell.hasAttribute("data-v") ? cell.getAttribute("data-v") : cell.textContent.trim();
    if (type === "num") { var n = parseFloat(v); return isNaN(n) ? -Infinity : n; }
    return v;
  }

  function sortBy(th) {
    var table = th.closest("table");
    var body = table.tBodies[0];
    var col = parseInt(th.getAttribute("data-col"), 10);
    var type = th.getAttribute("data-sort") || "text";
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    Array.prototype.forEach.call(table.querySelectorAll("th[aria-sort]"), function (x) { x.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (r, i) { r._order = i; });
    rows.sort(function (a, b) {
      var x = cellKey(a, col, type), y = cellKey(b, col, type);
      var c = type === "num" ? (x < y ? -1 : x > y ? 1 : 0) : String(x).localeCompare(String(y), "zh-CN");
      return c * dir || a._order - b._order;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }

  Array.prototype.forEach.call(document.querySelectorAll("table.sortable th[data-col]"), function (th) {
    th.tabIndex = 0;
    th.setAttribute("title", L.sort_hint || "");
    th.addEventListener("click", function (ev) { if (ev.target.tagName !== "A") { sortBy(th); } });
    th.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { sortBy(th); } });
  });

  /* Filters: a checkbox with data-body-class toggles that class on the body. */
  Array.prototype.forEach.call(document.querySelectorAll("input[data-body-class]"), function (box) {
    var apply = function () { document.body.classList.toggle(box.getAttribute("data-body-class"), box.checked); };
    box.addEventListener("change", apply);
    apply();
  });

  /* Drill-down: clicking a matrix cell shows its evidence in the drawer. */
  var drawer = document.getElementById("drawer");
  var active = null;

  function closeDrawer() {
    if (drawer) { drawer.hidden = true; }
    if (active) { active.classList.remove("active"); active.focus(); active = null; }
  }

  function openCell(td) {
    var row = td.getAttribute("data-row"), rid = td.getAttribute("data-req");
    var doc = (data.rows || [])[parseInt(row, 10)];
    var req = (data.reqs || {})[rid];
    var cell = (data.cells || {})[row + "|" + rid] || {status: "missing", score: 0, quotes: []};
    if (!doc || !req || !drawer) { return; }
    if (active) { active.classList.remove("active"); }
    active = td;
    td.classList.add("active");
    var branch = document.getElementById("dw-branch");
    branch.textContent = "";
    branch.appendChild(link(doc.page, "", doc.branch));
    var reqEl = document.getElementById("dw-req");
    reqEl.textContent = "";
    reqEl.appendChild(link(req.page, "", rid + " " + req.title));
    var status = document.getElementById("dw-status");
    status.textContent = "";
    status.appendChild(text("span", (L[cell.status] || cell.status), "badge st-" + cell.status));
    status.appendChild(text("span", "  " + (L.best_score || "") + " " + Number(cell.score).toFixed(2), "muted"));
    var list = document.getElementById("dw-quotes");
    list.textContent = "";
    if (!cell.quotes.length) {
      list.appendChild(text("li", L.no_evidence || "", "muted"));
    }
    cell.quotes.forEach(function (q) {
      var li = document.createElement("li");
      var bq = document.createElement("blockquote");
      bq.className = "quote" + (q.weak ? " weak" : "");
      q.spans.forEach(function (s) {
        bq.appendChild(s[1] ? text("mark", s[0]) : document.createTextNode(s[0]));
      });
      li.appendChild(bq);
      var src = text("p", "", "src");
      src.appendChild(document.createTextNode((L.score || "") + " " + Number(q.score).toFixed(2) + " · " +
        (L.file || "") + " " + doc.file + (q.page ? " · " + String(L.page_n || "").replace("{n}", q.page) : "") + " · "));
      src.appendChild(link(doc.page, "p" + q.para, String(L.para_n || "").replace("{n}", q.para)));
      li.appendChild(src);
      list.appendChild(li);
    });
    var more = document.getElementById("dw-link");
    more.textContent = "";
    more.appendChild(link(doc.page, "", L.open_branch || ""));
    drawer.hidden = false;
    document.getElementById("dw-close").focus();
  }

  Array.prototype.forEach.call(document.querySelectorAll("td.cell[data-req]"), function (td) {
    td.addEventListener("click", function () { openCell(td); });
    td.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); openCell(td); }
    });
  });
  var closer = document.getElementById("dw-close");
  if (closer) { closer.addEventListener("click", closeDrawer); }
  document.addEventListener("keydown", function (ev) { if (ev.key === "Escape") { closeDrawer(); } });
})();
