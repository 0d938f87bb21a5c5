// Rampart console: copy buttons and live status polling. Hand-written,
// no dependencies; every page works without it, it only saves reloads.
(function () {
  "use strict";
  var POLL_MS = 1500;

  function announce(text) {
    var live = document.getElementById("live");
    if (!live) return;
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 50);
  }

  // Copy buttons: data-copy names the input whose value is copied.
  function copyFrom(button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    if (!input) return;
    var done = function () { button.textContent = "Copied"; announce("Copied to the clipboard"); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
      return;
    }
    input.focus();
    input.select();
    try { if (document.execCommand("copy")) done(); } catch (e) { /* the text stays selected */ }
  }
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("button[data-copy]");
    if (b) { e.preventDefault(); copyFrom(b); }
  });

  function poll(el, apply) {
    var url = el.getAttribute("data-poll");
    var tick = function () {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) {
          if (r.status === 401) { throw new Error("signed out"); }
          return r.json();
        })
        .then(function (data) { if (apply(data)) window.setTimeout(tick, POLL_MS); })
        .catch(function () { window.setTimeout(tick, POLL_MS * 4); });
    };
    window.setTimeout(tick, POLL_MS);
  }

  // Security Agents: poll while a command is pending.
  var agents = document.getElementById("agents");
  if (agents && agents.getAttribute("data-pending") === "true") {
    poll(agents, function (data) {
      var seen = {}, pending = false;
      (data.agents || []).forEach(function (a) {
        seen[a.entity_id] = true;
        var row = agents.querySelector('tr[data-agent="' + CSS.escape(a.entity_id) + '"]');
        if (!row) return;
        var cell = row.querySelector(".status");
        var status = a.uninstalling ? "uninstalling" : a.isolation_status;
        if (cell.getAttribute("data-status") !== status) {
          cell.setAttribute("data-status", status);
          cell.textContent = a.uninstalling ? "uninstall_pending" : a.isolation_status;
          announce(a.host_name + " is now " + cell.textContent);
        }
        var folder = row.querySelector(".folder");
        if (folder) folder.textContent = a.folder_path;
        pending = pending || a.pending;
      });
      agents.querySelectorAll("tr[data-agent]").forEach(function (row) {
        if (seen[row.getAttribute("data-agent")]) return;
        var cell = row.querySelector(".status");
        if (cell && cell.getAttribute("data-status") !== "uninstalled") {
          cell.setAttribute("data-status", "uninstalled");
          cell.textContent = "uninstalled";
          row.querySelectorAll(".row-actions a").forEach(function (a) { a.remove(); });
        }
      });
      agents.setAttribute("data-pending", String(pending));
      return pending;
    });
  }

  // Appliances list: poll while a migration runs.
  var list = document.getElementById("appliances");
  if (list && list.getAttribute("data-pending") === "true") {
    poll(list, function (data) {
      var running = false;
      (data.migrations || []).forEach(function (m) {
        var row = list.querySelector('tr[data-appliance="' + m.appliance_id + '"]');
        if (!row) return;
        var cell = row.querySelector(".migration");
        cell.textContent = m.summary;
        cell.setAttribute("data-result", m.result);
        if (m.result === "success") row.querySelector(".version").textContent = m.to;
        running = running || m.running;
      });
      list.setAttribute("data-pending", String(running));
      return running;
    });
  }

  // One appliance: the migration's steps advance live.
  var versions = document.getElementById("versions");
  var migration = document.getElementById("migration");
  function showForm(id, version) {
    var form = document.getElementById(id);
    if (!form) return;
    form.hidden = !version;
    var target = form.querySelector(".target");
    if (target) target.textContent = version || "";
  }
  function renderMigration(m) {
    migration.setAttribute("data-step", String(m.step));
    migration.setAttribute("data-result", m.result);
    var summary = document.getElementById("migration-summary");
    if (summary && summary.textContent !== m.summary) summary.textContent = m.summary;
    var progress = document.getElementById("migration-progress");
    if (progress) { progress.max = m.total_steps; progress.value = m.step; progress.textContent = m.step + " of " + m.total_steps; }
    var list = document.getElementById("steps");
    if (list) {
      var items = list.querySelectorAll("li");
      m.steps.forEach(function (s, i) {
        var li = items[i];
        if (!li) return;
        li.setAttribute("data-status", s.status);
        li.querySelector(".step-status").textContent = "(" + s.summary + ")";
      });
    }
    var fail = document.getElementById("migration-failure");
    if (fail) { fail.hidden = m.result !== "fail"; fail.textContent = m.result === "fail" ? m.message : ""; }
    var time = document.getElementById("migration-time");
    if (time) time.textContent = m.time;
  }
  if (versions && migration && versions.getAttribute("data-pending") === "true") {
    poll(versions, function (data) {
      var m = data.migration;
      if (!m) return false;
      renderMigration(m);
      if (m.running) return true;
      document.getElementById("base-version").textContent = data.version;
      document.getElementById("upgrade-version").textContent = data.upgrade || "none (up to date)";
      document.getElementById("rollback-version").textContent = data.rollback || "none";
      showForm("upgrade-form", data.upgrade);
      showForm("rollback-form", data.rollback);
      versions.setAttribute("data-pending", "false");
      announce(m.summary);
      return false;
    });
  }
})();
