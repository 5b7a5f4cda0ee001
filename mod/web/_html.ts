/**
 * The page's HTML and CSS: one static document, no external resources. The result areas keep
 * their size while computing (no layout jumps) and stack at phone width.
 *
 * @module
 */

/** `index.html` of the built page, with the project's title and the build's date. */
export function pageHtml(options: { title: string; built: string }): string {
  const esc = (s: string): string =>
    s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'self' blob: data:; script-src 'self' 'wasm-unsafe-eval' blob:; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:; media-src 'self' blob: mediastream:">
<title>${esc(options.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
  <h1>${esc(options.title)}</h1>
  <p class="lede">Drop a song, choose a file or record a few seconds: the genre is computed in this
  browser tab with the same features and model as <code>deno task predict</code>. Nothing is uploaded.</p>
</header>
<main>
  <section class="controls" aria-label="Input">
    <div id="drop" class="drop" tabindex="0" role="button" aria-describedby="drop-help">
      <label for="audio-file" class="button">Choose an audio file</label>
      <input id="audio-file" type="file" accept="audio/*,.wav,.au,.snd,.mp3,.ogg,.oga,.flac,.m4a,.aac,.opus,.webm">
      <span id="drop-help">or drop it here (WAV, MP3, OGG, FLAC, M4A: whatever this browser decodes)</span>
    </div>
    <div class="row">
      <button id="record" type="button" class="button secondary" aria-pressed="false">Record 10 s from the microphone</button>
      <label class="model-choice">Model
        <select id="model"></select>
      </label>
    </div>
    <div class="status-row">
      <progress id="progress" max="1" value="0" aria-label="Progress"></progress>
      <p id="status" role="status" aria-live="polite">Loading the model…</p>
    </div>
    <p id="error" class="error" role="alert" hidden></p>
  </section>
  <section class="results" aria-label="Prediction">
    <h2>Top genres <span id="file-name" class="muted"></span></h2>
    <ol id="top" class="top"><li class="placeholder">No prediction yet.</li></ol>
    <div id="timeline" class="timeline" aria-label="Per-segment timeline chart"></div>
    <p id="notes" class="muted"></p>
  </section>
  <section class="model" aria-label="Model">
    <h2>Model</h2>
    <dl id="model-info"></dl>
  </section>
</main>
<footer class="muted">Reproducible MGC · page built ${
    esc(options.built)
  } · runs offline, from any static host.</footer>
<script type="module" src="./page.js"></script>
</body>
</html>
`;
}

const CSS = `
:root { --fg: #1b1b1b; --muted: #555; --accent: #0b5cad; --bg: #fff; --line: #ddd; --err: #a40000; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 60rem; padding: 1rem; font: 16px/1.45 system-ui, -apple-system,
  "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 1.5rem; margin: 0.2rem 0; } h2 { font-size: 1.15rem; margin: 1rem 0 0.4rem; }
.lede { margin: 0 0 1rem; color: var(--muted); }
.drop { border: 2px dashed var(--line); border-radius: 8px; padding: 1rem; display: flex; gap: 0.8rem;
  align-items: center; flex-wrap: wrap; min-height: 4.5rem; }
.drop.over, .drop:focus-visible { border-color: var(--accent); outline: none; background: #f2f7fd; }
#audio-file { position: absolute; width: 1px; height: 1px; opacity: 0; }
#audio-file:focus-visible + span, .button:focus-visible, button:focus-visible, select:focus-visible {
  outline: 3px solid var(--accent); outline-offset: 2px; }
.button { display: inline-block; padding: 0.55rem 0.9rem; border-radius: 6px; border: 1px solid var(--accent);
  background: var(--accent); color: #fff; cursor: pointer; font: inherit; }
.button.secondary { background: #fff; color: var(--accent); }
.button[aria-pressed="true"] { background: var(--err); border-color: var(--err); color: #fff; }
.row { display: flex; flex-wrap: wrap; gap: 0.8rem; align-items: center; margin: 0.8rem 0; }
.model-choice select { font: inherit; padding: 0.35rem; margin-left: 0.4rem; max-width: 100%; }
.status-row { display: flex; gap: 0.8rem; align-items: center; min-height: 2rem; }
progress { width: 12rem; height: 0.9rem; flex: none; }
#status { margin: 0; min-height: 1.45em; }
.error { color: var(--err); font-weight: 600; min-height: 1.45em; }
.results { min-height: 24rem; }
.top { list-style: none; padding: 0; margin: 0; min-height: 7.5rem; }
.top li { display: grid; grid-template-columns: 7rem 1fr 4.5rem; gap: 0.6rem; align-items: center; margin: 0.35rem 0; }
.top li.placeholder { display: block; color: var(--muted); }
.bar { height: 1rem; background: var(--accent); border-radius: 3px; }
.bar-track { background: #eef2f7; border-radius: 3px; }
.pct { text-align: right; font-variant-numeric: tabular-nums; }
.timeline { width: 100%; min-height: 16rem; }
.timeline svg { max-width: 100%; height: auto; }
.muted { color: var(--muted); font-weight: normal; font-size: 0.95rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; margin: 0; }
dt { color: var(--muted); } dd { margin: 0; overflow-wrap: anywhere; }
footer { margin-top: 2rem; border-top: 1px solid var(--line); padding-top: 0.6rem; }
@media (max-width: 40rem) { .top li { grid-template-columns: 5.5rem 1fr 4rem; } progress { width: 7rem; } }
`;
