// mmtao browser demo: choose a video, drag boxes on the start frame, track.
// Boxes are kept in frame pixels (the canvas's own width/height are the
// frame's), so what is sent to the server needs no rescaling.
'use strict';

const $ = (id) => document.getElementById(id);
const state = {
  info: null,      // /api/info
  video: null,     // the chosen video's info
  frameIndex: 0,
  image: null,     // the shown frame (Image)
  boxes: [],       // [{x, y, w, h}] in frame pixels
  drag: null,      // {x0, y0, x1, y1} while dragging
  redo: -1,        // index of the box the next drag replaces
  tracking: false,
};

function message(text, kind) {
  const el = $('message');
  el.textContent = text || '';
  el.className = text ? (kind || 'info') : '';
}

async function api(url, options) {
  const res = await fetch(url, options);
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (!res.ok) {
    const detail = body && body.detail ? body.detail : `${res.status} ${res.statusText}`;
    throw new Error(typeof detail === 'string' ? detail : JSON.stringify(detail));
  }
  return body;
}

function color(k) {
  const c = state.info.colors[k % state.info.colors.length];
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

// ---- video choice --------------------------------------------------------
async function loadInfo() {
  state.info = await api('/api/info');
  const select = $('model');
  select.innerHTML = '';
  for (const name of state.info.models) {
    const opt = document.createElement('option');
    opt.value = opt.textContent = name;
    select.appendChild(opt);
  }
  select.value = state.info.default_model;
  $('use-default').disabled = !state.info.default_video;
}

function useVideo(video) {
  state.video = video;
  state.boxes = [];
  state.redo = -1;
  const canvas = $('frame');
  canvas.width = video.width;
  canvas.height = video.height;
  // small clips are shown larger, so that boxes are easy to drag
  const shown = video.width < 640 ? 640 : Math.min(video.width, 960);
  canvas.style.width = `${shown}px`;
  $('scrub').max = Math.max(video.num_frames - 2, 0);
  $('scrub').value = 0;
  $('frame-last').textContent = Math.max(video.num_frames - 2, 0);
  $('video-name').textContent = `${video.name}: ${video.width}x${video.height}, ${video.num_frames} frames`;
  $('pick').hidden = false;
  $('result-box').hidden = true;
  $('progress-box').hidden = true;
  renderBoxes();
  showFrame(0);
}

async function chooseDefault() {
  message('');
  try {
    useVideo(await api('/api/videos/default'));
  } catch (e) {
    message(e.message, 'error');
  }
}

async function upload(file) {
  if (!file) return;
  if (file.size > state.info.max_upload_bytes) {
    message(`${file.name} is larger than the upload limit of ` +
            `${(state.info.max_upload_bytes / 2 ** 20).toFixed(0)} MiB`, 'error');
    return;
  }
  message(`uploading ${file.name} ...`, 'info');
  try {
    const video = await api(`/api/videos?filename=${encodeURIComponent(file.name)}`,
                            {method: 'POST', body: file});
    message('');
    useVideo(video);
  } catch (e) {
    message(e.message, 'error');
  } finally {
    $('upload').value = '';
  }
}

// ---- frame and boxes -----------------------------------------------------
let frameRequest = 0;
function showFrame(index) {
  state.frameIndex = index;
  $('frame-index').textContent = index;
  const token = ++frameRequest;
  const img = new Image();
  img.onload = () => {
    if (token !== frameRequest) return;  // a later frame was asked for
    state.image = img;
    $('frame').dataset.frame = String(index);
    draw();
  };
  img.onerror = () => message(`could not load frame ${index}`, 'error');
  img.src = `/api/videos/${state.video.video_id}/frames/${index}`;
}

function draw() {
  const canvas = $('frame');
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (state.image) ctx.drawImage(state.image, 0, 0, canvas.width, canvas.height);
  const lw = Math.max(1, canvas.width / 320);
  ctx.lineWidth = 2 * lw;
  ctx.font = `${Math.round(10 * lw)}px sans-serif`;
  state.boxes.forEach((b, k) => {
    if (k === state.redo) return;
    ctx.strokeStyle = ctx.fillStyle = color(k);
    ctx.strokeRect(b.x, b.y, b.w, b.h);
    ctx.fillText(`object ${k}`, b.x + 2, Math.max(b.y - 3, 10 * lw));
  });
  if (state.drag) {
    const k = state.redo >= 0 ? state.redo : state.boxes.length;
    const b = dragBox();
    ctx.setLineDash([6, 4]);
    ctx.strokeStyle = color(k);
    ctx.strokeRect(b.x, b.y, b.w, b.h);
    ctx.setLineDash([]);
  }
}

function renderBoxes() {
  const list = $('boxes');
  list.innerHTML = '';
  state.boxes.forEach((b, k) => {
    const li = document.createElement('li');
    li.className = k === state.redo ? 'redo' : '';
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = color(k);
    li.appendChild(swatch);
    li.appendChild(document.createTextNode(
      k === state.redo ? `object ${k}: drag its new box`
                       : `object ${k}: x=${b.x}, y=${b.y}, w=${b.w}, h=${b.h}`));
    const redo = document.createElement('button');
    redo.type = 'button';
    redo.textContent = 'redo';
    redo.onclick = () => { state.redo = k; renderBoxes(); draw(); };
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.textContent = 'remove';
    remove.onclick = () => {
      state.boxes.splice(k, 1);
      state.redo = -1;
      renderBoxes();
      draw();
    };
    li.appendChild(redo);
    li.appendChild(remove);
    list.appendChild(li);
  });
  $('track').disabled = state.tracking || state.boxes.length === 0;
}

function toFrame(event) {
  const canvas = $('frame');
  const rect = canvas.getBoundingClientRect();
  const x = (event.clientX - rect.left) * canvas.width / rect.width;
  const y = (event.clientY - rect.top) * canvas.height / rect.height;
  return [Math.min(Math.max(x, 0), canvas.width), Math.min(Math.max(y, 0), canvas.height)];
}

function dragBox() {
  const d = state.drag;
  const x = Math.round(Math.min(d.x0, d.x1));
  const y = Math.round(Math.min(d.y0, d.y1));
  return {x, y, w: Math.round(Math.max(d.x0, d.x1)) - x, h: Math.round(Math.max(d.y0, d.y1)) - y};
}

function onPointerDown(event) {
  if (!state.video || event.button !== 0) return;
  const [x, y] = toFrame(event);
  state.drag = {x0: x, y0: y, x1: x, y1: y};
  $('frame').setPointerCapture(event.pointerId);
  event.preventDefault();
}

function onPointerMove(event) {
  if (!state.drag) return;
  [state.drag.x1, state.drag.y1] = toFrame(event);
  draw();
}

function onPointerUp(event) {
  if (!state.drag) return;
  [state.drag.x1, state.drag.y1] = toFrame(event);
  const box = dragBox();
  state.drag = null;
  if (box.w < 2 || box.h < 2) {
    message('that box is empty: press, drag across the object, then release', 'error');
  } else if (state.redo < 0 && state.boxes.length >= state.info.max_objects) {
    message(`at most ${state.info.max_objects} objects at a time`, 'error');
  } else {
    message('');
    if (state.redo >= 0) state.boxes[state.redo] = box;
    else state.boxes.push(box);
    state.redo = -1;
  }
  renderBoxes();
  draw();
}

// ---- tracking ------------------------------------------------------------
async function track() {
  if (state.tracking) return;
  message('');
  const pressed = performance.now();
  let job;
  try {
    job = await api('/api/track', {
      method: 'POST',
      headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({
        video_id: state.video.video_id,
        start_frame: state.frameIndex,
        boxes: state.boxes.map((b) => [b.x, b.y, b.w, b.h]),
        model: $('model').value,
      }),
    });
  } catch (e) {
    message(e.message, 'error');
    return;
  }
  state.tracking = true;
  renderBoxes();
  $('progress-box').hidden = false;
  $('result-box').hidden = true;
  $('progress').max = job.total;
  $('progress').value = 0;
  $('progress-text').textContent = 'loading the tracker ...';
  const events = new EventSource(`/api/jobs/${job.job_id}/events`);
  events.onmessage = (event) => {
    const s = JSON.parse(event.data);
    $('progress').max = s.total;
    $('progress').value = s.done;
    if (s.state === 'loading' || s.state === 'queued') {
      $('progress-text').textContent = 'loading the tracker ...';
    } else {
      $('progress-text').textContent =
        `${s.done} / ${s.total} frames, ${s.fps.toFixed(1)} FPS`;
    }
    if (s.state === 'done' || s.state === 'error') {
      events.close();
      state.tracking = false;
      renderBoxes();
      if (s.state === 'error') {
        message(`tracking failed: ${s.message}`, 'error');
        // frames before a bad one were written: show them
        if (s.files.video) showResult(s, (performance.now() - pressed) / 1000);
      } else {
        showResult(s, (performance.now() - pressed) / 1000);
      }
    }
  };
  events.onerror = () => {
    if (!state.tracking) return;
    events.close();
    state.tracking = false;
    renderBoxes();
    message('lost the connection to the server while tracking', 'error');
  };
}

function showResult(s, seconds) {
  const video = $('result');
  video.style.width = $('frame').style.width;  // as large as the frame above
  video.src = s.files.video;
  for (const key of ['video', 'track', 'sheet']) {
    const link = $(`dl-${key}`);
    link.hidden = !s.files[key];
    if (s.files[key]) link.href = s.files[key];
  }
  const text = $('result-text');
  text.textContent = `${s.done} frames tracked at ${s.fps.toFixed(1)} FPS ` +
    '(end to end: decode, track, draw, encode); ' +
    `${seconds.toFixed(1)} s from pressing Track to this result.`;
  text.dataset.seconds = seconds.toFixed(2);
  $('result-box').hidden = false;
  video.play().catch(() => {});
}

// ---- wiring --------------------------------------------------------------
window.addEventListener('DOMContentLoaded', async () => {
  $('use-default').onclick = chooseDefault;
  $('upload').onchange = (e) => upload(e.target.files[0]);
  $('scrub').oninput = (e) => showFrame(parseInt(e.target.value, 10));
  $('clear').onclick = () => { state.boxes = []; state.redo = -1; renderBoxes(); draw(); };
  $('track').onclick = track;
  const canvas = $('frame');
  canvas.addEventListener('pointerdown', onPointerDown);
  canvas.addEventListener('pointermove', onPointerMove);
  canvas.addEventListener('pointerup', onPointerUp);
  try {
    await loadInfo();
    document.body.dataset.ready = '1';
  } catch (e) {
    message(`cannot reach the server: ${e.message}`, 'error');
  }
});
