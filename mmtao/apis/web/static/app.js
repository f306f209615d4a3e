// mmtao browser demo: choose a video, drag boxes on the start frame,
// preview, track, scrub the result, correct an object on a later frame.
// Boxes are kept in frame pixels (the canvas's own width/height are the
// frame's), so what is sent to the server needs no rescaling.
'use strict';

const $ = (id) => document.getElementById(id);
const state = {
  info: null,        // /api/info
  video: null,       // the chosen video's info
  frameIndex: 0,
  image: null,       // the shown frame (Image)
  boxes: [],         // [{x, y, w, h}] in frame pixels
  drag: null,        // {x0, y0, x1, y1} while dragging
  redo: -1,          // index of the box the next drag replaces
  busy: false,       // a job of this page runs
  job: null,         // its latest snapshot
  events: null,      // its EventSource
  confirmLong: false,
  result: null,      // {job, frames: [index], scores: [[per object]], boxes}
  correction: null,  // {job, frame, tracked: [{x, y, w, h}]}
};
const LAST_JOB = 'mmtao.lastJob';

function message(text, kind) {
  const el = $('message');
  el.textContent = text || '';
  el.className = text ? (kind || 'info') : '';
}

async function api(url, options = {}) {
  const init = {method: options.method || 'GET',
                headers: {'X-Requested-With': 'mmtao'}};
  if (options.json !== undefined) {
    init.method = 'POST';
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(options.json);
  } else if (options.body !== undefined) {
    init.method = 'POST';
    init.headers['Content-Type'] = 'application/octet-stream';
    init.body = options.body;
  }
  const res = await fetch(url, init);
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (!res.ok) {
    const detail = body && body.detail ? body.detail : `${res.status} ${res.statusText}`;
    const err = new Error(typeof detail === 'string' ? detail : JSON.stringify(detail));
    err.status = res.status;
    err.body = body;
    throw err;
  }
  return body;
}

function color(k) {
  const c = state.info.colors[k % state.info.colors.length];
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

function duration(seconds) {
  return seconds < 90 ? `${Math.round(seconds)} s` : `${Math.round(seconds / 60)} min`;
}

// ---- video choice --------------------------------------------------------
async function loadInfo() {
  const info = state.info = await api('/api/info');
  const select = $('model');
  select.innerHTML = '';
  for (const m of info.models) {
    const opt = document.createElement('option');
    opt.value = m.name;
    opt.textContent = m.label;
    select.appendChild(opt);
  }
  select.value = info.default_model;
  $('use-default').disabled = !info.default_video;
  const px = info.max_pixels ? `, frames up to ${(info.max_pixels / 1e6).toFixed(1)} megapixels` : '';
  const keep = info.keep_hours ? ` Uploads and results are deleted after ${info.keep_hours} h ` +
    `(or when they pass ${Math.round(info.keep_mb)} MiB, oldest first).` : '';
  $('limits').textContent = `Limits: uploads up to ${Math.round(info.max_upload_bytes / 2 ** 20)} MiB${px}; ` +
    `up to ${info.max_objects} objects; jobs of more than ${info.long_frames} frames show ` +
    `their estimated time and ask to confirm` +
    (info.max_frames ? `; at most ${info.max_frames} frames per job.` : '.') + keep;
}

function useVideo(video, start = 0) {
  state.video = video;
  state.boxes = [];
  state.redo = -1;
  state.confirmLong = false;
  state.correction = null;
  const canvas = $('frame');
  canvas.width = video.width;
  canvas.height = video.height;
  // small clips are shown larger, so that boxes are easy to drag
  const shown = video.width < 640 ? 640 : Math.min(video.width, 960);
  canvas.style.width = `${shown}px`;
  const last = Math.max(video.num_frames - 2, 0);
  $('scrub').max = last;
  $('scrub').value = start;
  $('frame-last').textContent = `${last} of frames 0..${video.num_frames - 1}`;
  $('video-name').textContent =
    `${video.name}: ${video.width}x${video.height}, ${video.num_frames} frames, ${video.fps.toFixed(2)} FPS`;
  $('pick').hidden = false;
  $('result-box').hidden = true;
  $('preview-box').hidden = true;
  state.result = null;
  endCorrection(false);
  renderBoxes();
  showFrame(start);
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
    $('upload').value = '';
    return;
  }
  message(`uploading ${file.name} (${(file.size / 2 ** 20).toFixed(1)} MiB) ...`, 'info');
  setBusy(true, false);
  try {
    const video = await sendFile(file);
    message(`${file.name} is ready: drag a box around each object`, 'info');
    useVideo(video);
  } catch (e) {
    message(e.message, 'error');
  } finally {
    setBusy(false, false);
    $('upload').value = '';
  }
}

// an upload with its progress in the status bar (fetch reports none)
function sendFile(file) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/videos?filename=${encodeURIComponent(file.name)}`);
    xhr.setRequestHeader('X-Requested-With', 'mmtao');
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => {
      if (!e.lengthComputable) return;
      const pct = Math.round(100 * e.loaded / e.total);
      message(pct < 100 ? `uploading ${file.name}: ${pct} %`
                        : `checking ${file.name} ...`, 'info');
    };
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      if (xhr.status === 200 && body) resolve(body);
      else reject(new Error(body && body.detail ? body.detail : `upload failed (${xhr.status})`));
    };
    xhr.onerror = () => reject(new Error(`upload of ${file.name} failed: the server did not answer`));
    xhr.send(file);
  });
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

function label(ctx, text, x, y, k, lw) {
  const h = Math.round(12 * lw);
  ctx.font = `bold ${Math.round(10 * lw)}px sans-serif`;
  const w = ctx.measureText(text).width + 4 * lw;
  const top = Math.max(y - h, 0);
  ctx.fillStyle = color(k);
  ctx.fillRect(x, top, w, h);
  ctx.fillStyle = '#fff';
  ctx.fillText(text, x + 2 * lw, top + h - 3 * lw);
}

function draw() {
  const canvas = $('frame');
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (state.image) ctx.drawImage(state.image, 0, 0, canvas.width, canvas.height);
  const lw = Math.max(1, canvas.width / 320);
  ctx.lineWidth = 2 * lw;
  state.boxes.forEach((b, k) => {
    if (k === state.redo) return;
    ctx.strokeStyle = color(k);
    ctx.strokeRect(b.x, b.y, b.w, b.h);
    label(ctx, `object ${k}`, b.x, b.y, k, lw);
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

function changed(k) {
  const c = state.correction;
  if (!c) return false;
  const a = state.boxes[k], b = c.tracked[k];
  return a.x !== b.x || a.y !== b.y || a.w !== b.w || a.h !== b.h;
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
    let text = k === state.redo ? `object ${k}: drag its new box`
                                : `object ${k}: x=${b.x}, y=${b.y}, w=${b.w}, h=${b.h}`;
    if (state.correction && k !== state.redo) text += changed(k) ? ' (corrected)' : ' (as tracked)';
    li.appendChild(document.createTextNode(text));
    const redo = document.createElement('button');
    redo.type = 'button';
    redo.textContent = 'redo';
    redo.disabled = state.busy;
    redo.onclick = () => { state.redo = k; renderBoxes(); draw(); };
    li.appendChild(redo);
    if (!state.correction) {
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.textContent = 'remove';
      remove.disabled = state.busy;
      remove.onclick = () => {
        state.boxes.splice(k, 1);
        state.redo = -1;
        state.confirmLong = false;
        renderBoxes();
        draw();
      };
      li.appendChild(remove);
    }
    list.appendChild(li);
  });
  const none = state.boxes.length === 0;
  $('track').disabled = state.busy || none;
  $('preview').disabled = state.busy || none || !!state.correction;
  $('clear').disabled = state.busy || none || !!state.correction;
  if (state.correction) {
    $('track').textContent = `Continue from frame ${state.correction.frame}`;
  } else {
    $('track').textContent = state.confirmLong ? 'Track anyway' : 'Track';
  }
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
  if (state.busy) {
    message('a job is running: boxes are locked until it ends (or Cancel it)', 'error');
    return;
  }
  if (state.correction && state.redo < 0) {
    message('press "redo" next to the lost object first, then drag its new box', 'error');
    return;
  }
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
    state.confirmLong = false;
  }
  renderBoxes();
  draw();
}

function onScrub(event) {
  const index = parseInt(event.target.value, 10);
  if (state.boxes.length) {
    message(`boxes removed: they were drawn on frame ${state.frameIndex}; ` +
            `drag them again on frame ${index}`, 'info');
    state.boxes = [];
    state.redo = -1;
    state.confirmLong = false;
    renderBoxes();
  }
  $('preview-box').hidden = true;
  showFrame(index);
}

// ---- jobs ----------------------------------------------------------------
function setBusy(on, job = true) {
  state.busy = on;
  for (const id of ['use-default', 'upload', 'scrub', 'model', 'frames', 'correct']) {
    $(id).disabled = on || (id === 'scrub' && !!state.correction) ||
      (id === 'use-default' && !(state.info && state.info.default_video));
  }
  $('frame').classList.toggle('locked', on);
  if (job) $('progress-box').hidden = !on;
  $('cancel').disabled = !on;
  if (state.video) renderBoxes();
}

function request() {
  const frames = parseInt($('frames').value, 10);
  return {
    video_id: state.video.video_id,
    start_frame: state.frameIndex,
    boxes: state.boxes.map((b) => [b.x, b.y, b.w, b.h]),
    model: $('model').value,
    frames: Number.isFinite(frames) ? frames : null,
    confirm_long: state.confirmLong,
  };
}

function correctionRequest() {
  const c = state.correction, job = c.job;
  const boxes = {};
  state.boxes.forEach((b, k) => { if (changed(k)) boxes[k] = [b.x, b.y, b.w, b.h]; });
  if (!Object.keys(boxes).length) return null;
  const corrections = job.corrections.filter((x) => x.frame < c.frame);
  corrections.push({frame: c.frame, boxes});
  return {video_id: job.video_id, start_frame: job.start_frame, boxes: job.boxes,
          model: job.model, frames: job.total, confirm_long: true, corrections,
          base_job: job.job_id};
}

async function submit(kind) {
  if (state.busy) return;
  let body = request();
  if (state.correction) {
    body = correctionRequest();
    if (!body) {
      message('nothing corrected: press "redo" next to an object and drag its box', 'error');
      return;
    }
  }
  message('');
  state.pressed = performance.now();
  let job;
  try {
    job = await api(kind === 'preview' ? '/api/preview' : '/api/track', {json: body});
  } catch (e) {
    if (e.body && e.body.confirm) {
      state.confirmLong = true;
      renderBoxes();
    }
    message(e.message, 'error');
    return;
  }
  state.confirmLong = false;
  if (kind === 'track') $('result-box').hidden = true;
  attach(job);
}

function attach(job) {
  state.job = job;
  setBusy(true);
  $('progress').max = job.total;
  $('progress').value = job.done;
  $('progress-text').textContent = `${job.kind === 'preview' ? 'preview: ' : ''}loading the tracker ...`;
  if (state.events) state.events.close();
  const events = state.events = new EventSource(`/api/jobs/${job.job_id}/events`);
  events.onmessage = (event) => {
    const s = state.job = JSON.parse(event.data);
    $('progress').max = s.total;
    $('progress').value = s.done;
    const what = s.kind === 'preview' ? 'preview: ' : `${s.video_name}: `;
    if (s.state === 'loading' || s.state === 'queued') {
      $('progress-text').textContent = `${what}loading the tracker ...`;
    } else {
      const eta = s.eta_seconds !== null ? `, about ${duration(s.eta_seconds)} left` : '';
      $('progress-text').textContent =
        `${what}${s.done} / ${s.total} frames (frame ${s.last_frame}), ${s.fps.toFixed(1)} FPS${eta}` +
        (s.cancelling ? ', cancelling ...' : '');
    }
    if (!['queued', 'loading', 'running'].includes(s.state)) {
      events.close();
      state.events = null;
      finish(s);
    }
  };
  events.onerror = () => {
    if (!state.busy || events.readyState !== EventSource.CLOSED) return;
    state.events = null;
    setBusy(false);
    message('lost the connection to the server while tracking', 'error');
  };
}

async function cancel() {
  if (!state.job) return;
  $('cancel').disabled = true;
  try {
    await api(`/api/jobs/${state.job.job_id}/cancel`, {json: {}});
  } catch (e) {
    message(e.message, 'error');
  }
}

function finish(s) {
  setBusy(false);
  const seconds = state.pressed ? (performance.now() - state.pressed) / 1000 : null;
  state.pressed = null;
  if (s.kind === 'preview') {
    if (s.state === 'done') showPreview(s);
    else message(s.state === 'error' ? `preview failed: ${s.message}` : 'preview cancelled', 'error');
    return;
  }
  localStorage.setItem(LAST_JOB, s.job_id);
  if (s.state === 'error') message(`tracking failed: ${s.message}`, 'error');
  else if (s.state === 'cancelled') message(`${s.message}; the result below is that partial run`, 'info');
  else message(`${s.video_name}: ${s.done} frames tracked`, 'info');
  // frames before a bad one or a cancel were written: show them
  if (s.files.video) showResult(s, seconds);
}

function showPreview(s) {
  if (!state.video || state.video.video_id !== s.video_id) return;
  // scrolled to once loaded: before, the page is not yet as long
  $('preview-img').onload = () => $('preview-box').scrollIntoView({block: 'start'});
  $('preview-img').src = s.files.preview;
  $('preview-text').textContent =
    `Frames ${s.start_frame}..${s.last_frame}: the first tile shows the mask the tracker finds ` +
    'for each box, the others the next frames as Track will track them (boxes, masks, scores). ' +
    'If an object is already lost here, redraw its box.';
  $('preview-box').hidden = false;
  message('preview ready', 'info');
}

// ---- result: video, scrubbing, scores, correction ------------------------
async function showResult(s, seconds) {
  if (!state.video || state.video.video_id !== s.video_id) {
    message(`the job on ${s.video_name} ended; its result is not shown under another video`, 'info');
    return;
  }
  const text = await (await fetch(s.files.track)).text();
  const frames = [], scores = [], boxes = [];
  for (const line of text.trim().split('\n').slice(1)) {
    const [f, k, x, y, w, h, score] = line.split(',').map(Number);
    if (!frames.length || frames[frames.length - 1] !== f) {
      frames.push(f); scores.push([]); boxes.push([]);
    }
    scores[scores.length - 1][k] = score;
    boxes[boxes.length - 1][k] = {x: Math.round(x), y: Math.round(y), w: Math.round(w), h: Math.round(h)};
  }
  state.result = {job: s, frames, scores, boxes};
  const video = $('result');
  video.style.width = $('frame').style.width;  // as large as the frame above
  video.loop = true;
  video.src = s.files.video;
  for (const key of ['video', 'track', 'masks_json', 'masks_zip', 'sheet']) {
    const link = $(`dl-${key}`);
    link.hidden = !s.files[key];
    if (s.files[key]) link.href = s.files[key];
  }
  $('result-title').textContent =
    `3. Result: ${s.video_name}, frames ${frames[0]}..${frames[frames.length - 1]}` +
    (s.corrections.length ? ` (corrected on frame ${s.corrections.map((c) => c.frame).join(', ')})` : '') +
    (s.resumed_from !== null ? `, continued from the earlier result after frame ${s.resumed_from}` : '') +
    (s.state === 'cancelled' ? ' (cancelled: partial)' : '');
  $('result-scrub').max = frames.length - 1;
  $('result-scrub').value = 0;
  const info = $('result-text');
  info.textContent = `${s.done} frames tracked at ${s.fps.toFixed(1)} FPS ` +
    '(end to end: decode, track, draw, encode)' +
    (seconds !== null ? `; ${seconds.toFixed(1)} s from pressing Track to this result.` : '.');
  info.dataset.seconds = seconds !== null ? seconds.toFixed(2) : '';
  $('result-box').hidden = false;
  resultFrame(0, false);
  $('result-box').scrollIntoView({block: 'start'});
  video.play().catch(() => {});
}

function resultFrame(i, seek = true) {
  const r = state.result;
  if (!r) return;
  i = Math.min(Math.max(i, 0), r.frames.length - 1);
  $('result-scrub').value = i;
  $('result-frame').textContent = `${r.frames[i]} (${i + 1} of ${r.frames.length})`;
  $('result-frame').dataset.frame = String(r.frames[i]);
  if (seek) {
    const video = $('result');
    video.pause();
    video.currentTime = (i + 0.5) / state.video.fps;
  }
  drawScores(i);
}

function drawScores(cursor) {
  const r = state.result, canvas = $('scores'), ctx = canvas.getContext('2d');
  const w = canvas.width, h = canvas.height, pad = 14, n = r.frames.length;
  ctx.clearRect(0, 0, w, h);
  const xAt = (i) => pad + (w - 2 * pad) * (n > 1 ? i / (n - 1) : 0);
  const yAt = (s) => h - pad - (h - 2 * pad) * s;
  ctx.strokeStyle = '#ccc';
  ctx.lineWidth = 1;
  for (const s of [0, 0.5, 1]) {
    ctx.beginPath(); ctx.moveTo(pad, yAt(s)); ctx.lineTo(w - pad, yAt(s)); ctx.stroke();
  }
  ctx.fillStyle = '#666';
  ctx.font = '10px sans-serif';
  ctx.fillText('score 1', 0, yAt(1) - 2);
  const numObjects = r.scores[0].length;
  for (let k = 0; k < numObjects; k++) {
    ctx.strokeStyle = color(k);
    ctx.lineWidth = 2;
    ctx.beginPath();
    r.scores.forEach((s, i) => (i ? ctx.lineTo(xAt(i), yAt(s[k])) : ctx.moveTo(xAt(i), yAt(s[k]))));
    ctx.stroke();
  }
  ctx.strokeStyle = '#000';
  ctx.beginPath(); ctx.moveTo(xAt(cursor), 0); ctx.lineTo(xAt(cursor), h); ctx.stroke();
}

function startCorrection() {
  const r = state.result;
  if (!r || state.busy) return;
  const i = parseInt($('result-scrub').value, 10);
  const frame = r.frames[i];
  if (i === 0) {
    message('that is the start frame: scrub the result to a later frame first', 'error');
    return;
  }
  const tracked = r.boxes[i].map((b) => ({...b}));
  state.correction = {job: r.job, frame, tracked};
  state.boxes = tracked.map((b) => ({...b}));
  state.redo = -1;
  $('scrub').disabled = true;
  $('pick-title').textContent =
    `Correct frame ${frame}: press "redo" next to a lost object, drag its box, continue`;
  $('scrub-text').hidden = true;
  $('stop-correct').hidden = false;
  $('preview-box').hidden = true;
  showFrame(frame);
  renderBoxes();
  $('pick').scrollIntoView({block: 'start'});
  message(`frame ${frame} with the tracked boxes: redo the lost object's box, then ` +
          `"Continue from frame ${frame}"`, 'info');
}

function endCorrection(restore = true) {
  const c = state.correction;
  state.correction = null;
  $('pick-title').textContent = '2. Start frame and objects';
  $('stop-correct').hidden = true;
  $('scrub-text').hidden = false;
  $('scrub').disabled = state.busy;
  if (restore && c) {
    state.boxes = c.job.boxes.map(([x, y, w, h]) => ({x: Math.round(x), y: Math.round(y),
                                                     w: Math.round(w), h: Math.round(h)}));
    state.redo = -1;
    $('scrub').value = c.job.start_frame;
    showFrame(c.job.start_frame);
    renderBoxes();
  }
}

// ---- wiring and re-attaching after a reload --------------------------------
async function restore() {
  const current = (await api('/api/jobs/current')).job;
  let job = current;
  if (!job) {
    const last = localStorage.getItem(LAST_JOB);
    if (!last) return;
    try { job = await api(`/api/jobs/${last}`); } catch (e) { return; }
    if (job.kind !== 'track' || !job.files.video) return;
  }
  let video;
  try { video = await api(`/api/videos/${job.video_id}`); } catch (e) { return; }
  useVideo(video, job.start_frame);
  state.boxes = job.boxes.map(([x, y, w, h]) => ({x: Math.round(x), y: Math.round(y),
                                                 w: Math.round(w), h: Math.round(h)}));
  renderBoxes();
  if (current) {
    message(`re-attached to the running job on ${job.video_name}`, 'info');
    attach(current);
  } else {
    showResult(job, null);
  }
}

window.addEventListener('DOMContentLoaded', async () => {
  $('use-default').onclick = chooseDefault;
  $('upload').onchange = (e) => upload(e.target.files[0]);
  $('scrub').oninput = onScrub;
  $('clear').onclick = () => {
    state.boxes = []; state.redo = -1; state.confirmLong = false; renderBoxes(); draw();
  };
  $('track').onclick = () => submit('track');
  $('preview').onclick = () => submit('preview');
  $('cancel').onclick = cancel;
  $('correct').onclick = startCorrection;
  $('stop-correct').onclick = () => {
    endCorrection();
    if (state.result) $('result-box').scrollIntoView({block: 'start'});
  };
  $('result-scrub').oninput = (e) => resultFrame(parseInt(e.target.value, 10));
  $('result').addEventListener('timeupdate', () => {
    const video = $('result');
    if (!state.result || video.paused) return;
    const i = Math.floor(video.currentTime * state.video.fps);
    resultFrame(Math.min(i, state.result.frames.length - 1), false);
  });
  $('frames').onchange = () => { state.confirmLong = false; renderBoxes(); };
  const canvas = $('frame');
  canvas.addEventListener('pointerdown', onPointerDown);
  canvas.addEventListener('pointermove', onPointerMove);
  canvas.addEventListener('pointerup', onPointerUp);
  try {
    await loadInfo();
    await restore();
    document.body.dataset.ready = '1';
  } catch (e) {
    message(`cannot reach the server: ${e.message}`, 'error');
  }
});
