// The papers behind the charts: filters over the data embedded in #explorer-data, a click on a
// chart point to fill them, and the switch that opens "other" into its frameworks. Every
// outside string is set as text (textContent), inside <bdi>, never parsed as HTML.
(function () {
  "use strict";
  var PAGE = 20;

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }

  function option(select, value, text) {
    var o = el("option", text);
    o.value = value;
    select.appendChild(o);
  }

  function link(href, text) {
    var a = el("a");
    a.href = href;
    a.appendChild(el("bdi", text));
    return a;
  }

  function setupExplorer() {
    var node = document.getElementById("explorer-data");
    if (!node) return null;
    var D = JSON.parse(node.textContent);
    var fw = document.getElementById("f-framework");
    var per = document.getElementById("f-period");
    var cat = document.getElementById("f-category");
    var body = document.querySelector("#explorer-table tbody");
    var count = document.getElementById("explorer-count");
    var more = document.getElementById("explorer-more");
    var limit = PAGE;

    option(fw, "", "all frameworks");
    D.labels.forEach(function (label, i) {
      option(fw, "l" + i, D.names[i]);
      if (label === "other") {
        D.other.forEach(function (name, j) { option(fw, "n" + j, "\u2003other: " + name); });
      }
    });
    option(per, "", "all periods");
    var years = [];
    D.quarters.forEach(function (q) {
      var y = q.slice(0, 4);
      if (years.indexOf(y) < 0) years.push(y);
    });
    years.forEach(function (y) {
      option(per, y, y);
      D.quarters.forEach(function (q) { if (q.slice(0, 4) === y) option(per, q, q); });
    });
    option(cat, "", "all categories");
    D.categories.forEach(function (c, i) { option(cat, "c" + i, c); });

    function matcher() {
      var f = fw.value, p = per.value, c = cat.value;
      return function (label, name, quarter, category) {
        if (f && f[0] === "l" && label !== +f.slice(1)) return false;
        if (f && f[0] === "n" && name !== +f.slice(1)) return false;
        if (p && D.quarters[quarter].indexOf(p) !== 0) return false;
        if (c && category !== +c.slice(1)) return false;
        return true;
      };
    }

    function row(r) {
      var tr = el("tr");
      tr.appendChild(el("td", r[7], "num"));
      var paper = el("td");
      paper.appendChild(el("bdi", r[1] || "(no title)", "title"));
      paper.appendChild(document.createTextNode(" "));
      paper.appendChild(link("https://arxiv.org/abs/" + encodeURIComponent(r[0]).replace(/%2F/g, "/"),
                             "arXiv:" + r[0]));
      tr.appendChild(paper);
      var repo = el("td");
      repo.setAttribute("data-th", "repository");
      repo.appendChild(link("https://" + r[2], r[2]));
      tr.appendChild(repo);
      var label = D.names[r[3]] + (r[4] >= 0 ? " (" + D.other[r[4]] + ")" : "");
      var td = el("td", label);
      td.setAttribute("data-th", "label");
      tr.appendChild(td);
      var ev = el("td", null, "evidence");
      ev.setAttribute("data-th", "evidence");
      ev.appendChild(el("bdi", r[8]));
      tr.appendChild(ev);
      return tr;
    }

    function render() {
      var ok = matcher();
      var rows = D.rows.filter(function (r) { return ok(r[3], r[4], r[5], r[6]); });
      var total = 0;
      D.cells.forEach(function (c) { if (ok(c[0], c[1], c[2], c[3])) total += c[4]; });
      while (body.firstChild) body.removeChild(body.firstChild);
      rows.slice(0, limit).forEach(function (r) { body.appendChild(row(r)); });
      var shown = Math.min(limit, rows.length);
      count.textContent = total === 0 ? "No paper matches." :
        "Showing " + shown.toLocaleString("en") + " of " + rows.length.toLocaleString("en") +
        " listed here" + (rows.length < total ? " (a sample of " + total.toLocaleString("en") +
        " paper\u2013repository pairs)" : "") + ".";
      more.hidden = shown >= rows.length;
    }

    [fw, per, cat].forEach(function (s) {
      s.addEventListener("change", function () { limit = PAGE; render(); });
    });
    more.addEventListener("click", function () { limit += PAGE * 4; render(); });
    document.getElementById("f-reset").addEventListener("click", function () {
      fw.value = ""; per.value = ""; cat.value = ""; limit = PAGE; render();
    });
    render();

    return function show(meta, x) {
      var label = D.labels.indexOf(meta.label);
      fw.value = "";
      if (meta.name && D.other.indexOf(meta.name) >= 0) fw.value = "n" + D.other.indexOf(meta.name);
      else if (label >= 0) fw.value = "l" + label;
      var d = String(x).slice(0, 10), y = d.slice(0, 4);
      per.value = meta.freq === "Q" ? y + " Q" + (Math.floor((+d.slice(5, 7) - 1) / 3) + 1) : y;
      if (per.selectedIndex < 0) per.value = "";
      cat.value = meta.category && D.categories.indexOf(meta.category) >= 0 ?
        "c" + D.categories.indexOf(meta.category) : "";
      limit = PAGE;
      render();
      document.getElementById("explorer").scrollIntoView();
    };
  }

  function setupCharts(show) {
    document.querySelectorAll("[data-explore]").forEach(function (block) {
      var gd = document.getElementById(block.getAttribute("data-explore"));
      if (!show || !gd || typeof gd.on !== "function") return;
      gd.on("plotly_click", function (ev) {
        var pt = ev && ev.points && ev.points[0];
        if (pt && pt.data && pt.data.meta && pt.data.meta.label) show(pt.data.meta, pt.x);
      });
    });
    var split = document.getElementById("split-other");
    if (split && window.Plotly) {
      split.addEventListener("change", function () {
        var gd = document.getElementById(split.getAttribute("data-chart"));
        var visible = gd.data.map(function (t) {
          var g = t.meta && t.meta.group;
          return g === "split" ? split.checked : g === "other" ? !split.checked : true;
        });
        window.Plotly.restyle(gd, {visible: visible});
      });
    }
  }

  function start() { setupCharts(setupExplorer()); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
