// The Altus console's only script: invoke without a page load, saved events picked from a
// list, and the live log tail (polling the console's JSON). Pages work without it, but
// for the tail.
"use strict";

(function () {
  function csrf(form) {
    const field = form.querySelector("input[name=csrf]");
    return field ? field.value : "";
  }

  function text(id, value) {
    const node = document.getElementById(id);
    if (node) node.textContent = value;
  }

  function setupInvoke() {
    const form = document.getElementById("invoke-form");
    if (!form) return;
    form.addEventListener("submit", async function (event) {
      if (!event.submitter || event.submitter.id !== "invoke") return; // saving: a plain POST
      event.preventDefault();
      const button = event.submitter;
      button.disabled = true;
      text("invoke-status", "Running…");
      document.getElementById("invoke-output").classList.remove("hidden");
      try {
        const body = new URLSearchParams(new FormData(form));
        const answer = await fetch(form.action, {
          method: "POST",
          headers: { "Accept": "application/json", "X-CSRF-Token": csrf(form) },
          body: body,
          credentials: "same-origin",
        });
        const result = await answer.json();
        const status = document.getElementById("invoke-status");
        if (result.Problem) {
          status.textContent = result.Problem.title;
          status.className = "status status-error";
          text("invoke-meta", result.Problem.message);
          text("invoke-result", "");
          text("invoke-log", "");
        } else if (result.message) {
          status.textContent = "Refused";
          status.className = "status status-error";
          text("invoke-meta", result.message);
        } else {
          status.textContent = result.FunctionError ? result.FunctionError + " error" : "Succeeded";
          status.className = "status " + (result.FunctionError ? "status-error" : "status-ok");
          text("invoke-meta", "Status " + result.StatusCode + " · version " + result.ExecutedVersion +
            " · request " + result.RequestId);
          text("invoke-result", result.Payload || "");
          text("invoke-log", result.Log || "");
          const links = document.getElementById("invoke-links");
          if (links && result.RequestId) {
            links.textContent = "";
            for (const [label, path] of [["Trace", "traces"], ["Recording", "recordings"]]) {
              const a = document.createElement("a");
              a.href = form.action.replace(/\/functions\/.*$/, "/" + path + "/" + encodeURIComponent(result.RequestId));
              a.textContent = label;
              links.appendChild(a);
              links.appendChild(document.createTextNode(" "));
            }
          }
        }
      } catch (error) {
        text("invoke-status", "Failed");
        text("invoke-meta", String(error));
      } finally {
        button.disabled = false;
      }
    });
    const picker = document.getElementById("saved-event");
    if (picker) {
      picker.addEventListener("change", function () {
        const chosen = picker.options[picker.selectedIndex];
        if (chosen && chosen.dataset.href) window.location.assign(chosen.dataset.href);
        else if (chosen) window.location.assign(window.location.pathname);
      });
    }
  }

  // Lines the tail keeps on the page, and event ids it remembers (to drop repeats).
  const MAX_LINES = 2000;
  const MAX_SEEN = 5000;

  function setupTail() {
    const pane = document.getElementById("tail");
    if (!pane) return;
    const state = document.getElementById("tail-state");
    // Where to go on from: the console's cursor, sent back as it came.
    let cursor = { start: Number(pane.dataset.start || 0), token: "", after: "", last: 0, seek: 0 };
    const seen = new Set();
    let failures = 0;
    let timer = null;
    let stopped = false;

    function say(value) {
      if (state) state.textContent = value;
    }

    function schedule(delay) {
      if (stopped || timer !== null) return;
      timer = window.setTimeout(function () {
        timer = null;
        poll();
      }, delay);
    }

    async function poll() {
      // A hidden tab does not poll: it goes on where it was when it is shown again.
      if (document.visibilityState === "hidden") {
        say("paused");
        return;
      }
      let more = false;
      try {
        const query = new URLSearchParams({
          start: String(cursor.start), token: cursor.token || "",
          after: cursor.after || "", last: String(cursor.last || 0), seek: String(cursor.seek || 0),
        });
        const answer = await fetch(pane.dataset.src + "?" + query.toString(), {
          headers: { "Accept": "application/json" }, credentials: "same-origin",
        });
        if (answer.status === 401) {
          stopped = true;
          say("signed out: reload the page to sign in again");
          return;
        }
        if (!answer.ok) throw new Error("HTTP " + answer.status);
        const body = await answer.json();
        say(body.problem ? body.problem : "live");
        if (body.cursor) {
          more = Boolean(body.cursor.token) && ((body.events || []).length > 0 || body.cursor.seek);
          cursor = body.cursor;
        }
        const atBottom = pane.scrollTop + pane.clientHeight >= pane.scrollHeight - 4;
        for (const e of body.events || []) {
          if (seen.has(e.id)) continue;
          seen.add(e.id);
          if (seen.size > MAX_SEEN) seen.delete(seen.values().next().value);
          const line = document.createElement("span");
          line.className = "line";
          line.textContent = new Date(e.timestamp).toISOString().slice(11, 23) + "  " +
            String(e.message).replace(/\n$/, "") + "\n";
          pane.appendChild(line);
        }
        while (pane.childElementCount > MAX_LINES) pane.removeChild(pane.firstElementChild);
        if (atBottom) pane.scrollTop = pane.scrollHeight;
        failures = 0;
      } catch (error) {
        failures += 1;
        say("reconnecting…");
      }
      // At once while there is more to read; else once a second, slower after failures.
      schedule(more ? 0 : Math.min(1000 * (1 + failures), 10000));
    }

    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") {
        say("live");
        schedule(0);
      }
    });
    poll();
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupInvoke();
    setupTail();
  });
})();
