// ServePage: the one web page of `nst serve` (HTML, CSS and JavaScript in the binary: no CDN, no build step).
enum ServePage {
    /// The page. Element ids are its contract with the tests: #content, #style, #blend, #size,
    /// #iterations, #optimizer, #content-weight, #style-weight, #tv-weight, #weights, #preset,
    /// #original-colors, #color-match, #start-size, #start, #stop, #live, #status, #plot,
    /// #download-image, #download-log, #jobs, #message; `body[data-job]`, `body[data-state]`,
    /// and `#live[data-iteration]` (the iteration of the image shown, once it has loaded).
    static let html = #"""
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>nst serve</title>
<style>
body { font: 15px/1.4 system-ui, sans-serif; margin: 0; display: grid; grid-template-columns: 300px 1fr 260px; min-height: 100vh; color: #222; }
aside, nav { padding: 16px; background: #f4f4f2; } nav { background: #fafaf8; border-left: 1px solid #ddd; }
main { padding: 16px; } h1 { font-size: 18px; margin: 0 0 12px; } h2 { font-size: 15px; margin: 16px 0 6px; }
label { display: block; margin: 6px 0 2px; font-size: 13px; color: #555; } input, select { width: 100%; box-sizing: border-box; }
input[type=checkbox] { width: auto; } .row { display: flex; gap: 8px; } .row > * { flex: 1; }
button { margin-top: 12px; padding: 6px 14px; font-size: 15px; } #message { color: #a00; min-height: 1.4em; }
#live { width: 100%; max-width: 480px; border: 1px solid #ccc; background: #eee; min-height: 64px; }
#plot svg, #plot img { max-width: 100%; } #status { font-family: ui-monospace, monospace; margin: 8px 0; }
#jobs { list-style: none; padding: 0; margin: 0; } #jobs li { margin: 4px 0; font-size: 13px; } .state { color: #777; }
</style></head>
<body data-state="idle">
<aside>
<h1>nst serve</h1>
<form id="form">
<p style="font-size:13px;color:#555">Choose or drop the images here.</p>
<label for="content">Content image</label><input type="file" id="content" accept="image/png,image/jpeg,image/tiff">
<label for="style">Style images</label><input type="file" id="style" accept="image/png,image/jpeg,image/tiff" multiple>
<label for="blend">Blend weights (comma-separated)</label><input id="blend" placeholder="equal">
<div class="row"><div><label for="size">Size</label><input id="size" type="number" value="256" min="16"></div>
<div><label for="iterations">Iterations</label><input id="iterations" type="number" value="200" min="1"></div></div>
<label for="optimizer">Optimiser</label><select id="optimizer"><option>lbfgs</option><option>adam</option><option>sgd</option></select>
<div class="row"><div><label for="content-weight">Content</label><input id="content-weight" placeholder="1"></div>
<div><label for="style-weight">Style</label><input id="style-weight" placeholder="100"></div>
<div><label for="tv-weight">TV</label><input id="tv-weight" placeholder="5e-4"></div></div>
<label for="weights">Weights (from the cache)</label><select id="weights"><option value="">built-in</option></select>
<label for="preset">Preset</label><select id="preset"><option value="">none</option><option>neural-style</option></select>
<label for="start-size">Coarse to fine: first size</label><input id="start-size" type="number" placeholder="off">
<label><input type="checkbox" id="original-colors"> Original colours</label>
<label><input type="checkbox" id="color-match"> Colour matching</label>
<button type="submit" id="start">Start</button> <button type="button" id="stop" disabled>Stop</button>
<div id="message"></div>
</form>
</aside>
<main>
<div id="status">No job open.</div>
<img id="live" alt="the image so far">
<p><a id="download-image" download>Download the image</a> · <a id="download-log" download>Download the loss log</a></p>
<div id="plot"></div>
</main>
<nav><h2>Jobs</h2><ul id="jobs"></ul></nav>
<script>
"use strict";
const $ = id => document.getElementById(id);
let job = null, socket = null, shown = -1;
function clock(s) { if (s == null || !isFinite(s)) return "--:--"; s = Math.round(s); const m = Math.floor(s / 60);
  return m >= 60 ? `${Math.floor(m / 60)}:${String(m % 60).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}` : `${m}:${String(s % 60).padStart(2, "0")}`; }
async function api(path, init) { const r = await fetch(path, init); const text = await r.text(); let body = {};
  try { body = JSON.parse(text); } catch (e) {} if (!r.ok) throw new Error(body.error || r.status + " " + r.statusText); return body; }
function show(s) {
  document.body.dataset.state = s.state;
  const stage = s.stages > 1 ? ` stage ${s.stage}/${s.stages}` : "";
  const losses = s.losses ? `  J ${s.losses.total.toExponential(3)}` : "";
  $("status").textContent = `${s.state}${stage}  ${s.iteration}/${s.iterations}${losses}  ETA ${clock(s.eta)}` + (s.error ? `  ${s.error}` : "");
  $("stop").disabled = !(s.state === "queued" || s.state === "running");
  if (s.imageIteration != null && s.imageIteration !== shown || s.state !== "running" && s.state !== "queued") loadImage(s);
}
function loadImage(s) {
  const img = new Image(), iteration = s.imageIteration == null ? -1 : s.imageIteration;
  img.onload = () => { $("live").src = img.src; $("live").dataset.iteration = iteration; shown = iteration; };
  img.src = `/api/jobs/${s.id}/image?i=${iteration}&t=${Date.now()}`;
  fetch(`/api/jobs/${s.id}/plot?t=${Date.now()}`).then(r => r.ok ? r.text() : "").then(svg => { if (svg) $("plot").innerHTML = svg; });
}
async function open(id) {
  job = id; shown = -1; document.body.dataset.job = id;
  $("download-image").href = `/api/jobs/${id}/image`; $("download-log").href = `/api/jobs/${id}/log`;
  history.replaceState(null, "", `/?job=${id}`);
  if (socket) socket.close();
  show(await api(`/api/jobs/${id}`));
  socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/jobs/${id}/events`);
  socket.onmessage = e => { const s = JSON.parse(e.data); if (s.id === job) show(s); if (s.state !== "running") listJobs(); };
}
async function listJobs() {
  const jobs = await api("/api/jobs"); const list = $("jobs"); list.textContent = "";
  for (const s of jobs.reverse()) { const li = document.createElement("li"); li.dataset.job = s.id;
    const a = document.createElement("a"); a.href = `/?job=${s.id}`; a.textContent = (s.content || s.id.slice(0, 8));
    a.onclick = e => { e.preventDefault(); open(s.id); };
    const state = document.createElement("span"); state.className = "state"; state.textContent = ` ${s.state}`;
    li.append(a, state); list.append(li); }
}
$("form").onsubmit = async e => {
  e.preventDefault(); $("message").textContent = "";
  const data = new FormData(), options = {};
  if (!$("content").files.length) { $("message").textContent = "Choose a content image."; return; }
  if (!$("style").files.length) { $("message").textContent = "Choose one or more style images."; return; }
  data.append("content", $("content").files[0]);
  for (const f of $("style").files) data.append("style", f);
  for (const key of ["size", "iterations", "start-size"]) if ($(key).value) options[key] = Number($(key).value);
  for (const key of ["content-weight", "style-weight", "tv-weight"]) if ($(key).value) options[key] = Number($(key).value);
  for (const key of ["optimizer", "weights", "preset"]) if ($(key).value) options[key] = $(key).value;
  if ($("blend").value) options["style-blend-weights"] = $("blend").value;
  for (const key of ["original-colors", "color-match"]) if ($(key).checked) options[key] = true;
  data.append("options", new Blob([JSON.stringify(options)], { type: "application/json" }));
  try { const r = await api("/api/jobs", { method: "POST", body: data }); await listJobs(); await open(r.id); }
  catch (error) { $("message").textContent = error.message; }
};
// Images dropped on the form: onto a file field, into it; elsewhere, the first becomes the
// content when none is chosen yet and the rest styles.
$("form").ondragover = e => { e.preventDefault(); };
$("form").ondrop = e => {
  e.preventDefault();
  const files = Array.from(e.dataTransfer.files).filter(f => /^image\//.test(f.type));
  if (!files.length) return;
  const put = (input, list) => { const t = new DataTransfer(); list.forEach(f => t.items.add(f)); input.files = t.files; input.dispatchEvent(new Event("change")); };
  if (e.target.id === "style") { put($("style"), files); return; }
  if (e.target.id === "content" || !$("content").files.length) { put($("content"), files.slice(0, 1)); files.shift(); }
  if (files.length) put($("style"), files);
};
$("stop").onclick = async () => { if (job) { try { show(await api(`/api/jobs/${job}`, { method: "DELETE" })); } catch (error) { $("message").textContent = error.message; } } };
(async () => {
  try { for (const name of await api("/api/weights")) { const o = document.createElement("option"); o.textContent = name; $("weights").append(o); } } catch (e) {}
  await listJobs();
  const id = new URLSearchParams(location.search).get("job"); if (id) open(id).catch(error => { $("message").textContent = error.message; });
})();
</script>
</body></html>
"""#
}
