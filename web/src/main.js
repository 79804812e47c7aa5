// headspa's web page: the head, plan playback with a coverage heat map, a live session on the
// twin with its force plot and controls, the session report, and guide mode.
import { api, apiText, setToken, streamEvents, takeTokenFromAddress, token } from './api.js';
import { ForcePlot } from './forceplot.js';
import { HeadViewer } from './viewer.js';
import { Guide } from './guide.js';
import { esc } from './html.js';

const $ = (id) => document.getElementById(id);
const state = { planId: null, playback: null, caps: new Map(), sessionId: null, stream: null };
window.headspa = state; // for people poking around in the console, and for the browser tests

function fmt(s) {
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}

function showError(where, e) {
  where.textContent = e.message;
  where.classList.add('error');
}

// ---- views ----
for (const b of document.querySelectorAll('nav button')) {
  b.addEventListener('click', () => {
    document.querySelectorAll('nav button').forEach((x) => x.classList.toggle('active', x === b));
    document.querySelectorAll('.view').forEach((v) => v.classList.toggle('hidden', v.id !== `view-${b.dataset.view}`));
  });
}

// ---- token ----
takeTokenFromAddress();
$('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  setToken($('token').value.trim(), true);
  start();
});

// ---- the head ----
let viewer = null;
try {
  viewer = new HeadViewer($('viewer'));
} catch (e) {
  $('viewer-state').textContent = `3-D view unavailable: ${e.message}`;
}
state.viewer = viewer;

for (const r of document.querySelectorAll('input[name=colouring]')) {
  r.addEventListener('change', () => colour());
}
function colour() {
  if (!viewer?.ready) return;
  const mode = document.querySelector('input[name=colouring]:checked').value;
  if (mode === 'coverage' && state.playback) viewer.showCoverage(state.playback.vertex_contact_s);
  else viewer.showRegions();
}

// ---- plan and playback ----
async function loadPlan(id) {
  const el = $('plan-state');
  const pb = await api('GET', `/plans/${id}/playback?rate_hz=10`);
  state.planId = id;
  state.playback = pb;
  el.textContent = `plan ${id}: ${pb.title}, ${fmt(pb.duration_s)}, ${pb.segments.length} segments`;
  $('play').disabled = false;
  $('scrub').disabled = false;
  $('start-session').disabled = false;
  const table = $('coverage-table');
  table.innerHTML = '<tr><th>region</th><th>coverage</th><th>time</th><th>peak / cap</th></tr>';
  for (const r of pb.regions) {
    state.caps.set(r.region, r.cap_n);
    const tr = document.createElement('tr');
    tr.innerHTML = `<td>${esc(r.region)}</td><td>${(100 * r.coverage).toFixed(0)} %</td><td>${r.contact_time_s.toFixed(0)} s</td><td>${r.peak_force_n.toFixed(1)} / ${r.cap_n.toFixed(1)} N</td>`;
    table.appendChild(tr);
  }
  // Look at where the contacts work.
  const points = [];
  for (const f of pb.frames) for (const c of f.c) if (c && c.f > 0) points.push(c.p);
  viewer?.lookAt(points);
  el.dataset.ready = 'true';
  colour();
  showFrame(0);
}

async function planAction(button, make) {
  const el = $('plan-state');
  el.classList.remove('error');
  el.dataset.ready = 'false';
  el.textContent = 'planning…';
  button.disabled = true;
  try {
    await loadPlan(await make());
  } catch (e) {
    showError(el, e);
  } finally {
    button.disabled = false;
  }
}
$('make-plan').addEventListener('click', () =>
  planAction($('make-plan'), async () => {
    const plan = await api('POST', '/plans', { protocol: $('protocol').value, seed: Number($('seed').value) });
    return plan.id;
  }));
$('open-plan').addEventListener('click', () =>
  planAction($('open-plan'), async () => Number($('plan-id').value)));

const play = { t: 0, running: false, last: 0 };
state.play = play;
function showFrame(t) {
  const pb = state.playback;
  if (!pb) return;
  play.t = Math.max(0, Math.min(pb.duration_s, t));
  const frame = pb.frames[Math.min(pb.frames.length - 1, Math.round(play.t * pb.rate_hz))];
  const seg = pb.segments.find((s) => play.t >= s.start_s && play.t < s.end_s) ?? pb.segments[pb.segments.length - 1];
  const cap = seg?.regions?.length ? Math.min(...seg.regions.map((r) => state.caps.get(r) ?? 10)) : 10;
  viewer?.setContacts(frame.c.map((c) => (c ? { p: c.p, f: c.f, cap } : null)));
  $('play-time').textContent = `${fmt(play.t)} / ${fmt(pb.duration_s)}`;
  $('play-segment').textContent = seg ? seg.title : '';
  $('contact-forces').textContent = frame.c.map((c, i) => `${i ? 'right' : 'left'}: ${c ? `${c.f.toFixed(1)} N ${c.ph}` : 'parked'}`).join(' · ');
  $('scrub').value = String(Math.round((1000 * play.t) / pb.duration_s));
}
$('play').addEventListener('click', () => {
  play.running = !play.running;
  $('play').textContent = play.running ? 'Pause' : 'Play';
  play.last = performance.now();
  if (play.running) requestAnimationFrame(tick);
});
function tick(now) {
  if (!play.running) return;
  const speed = Number($('play-speed').value);
  showFrame(play.t + ((now - play.last) / 1000) * speed);
  play.last = now;
  if (play.t >= state.playback.duration_s) {
    play.running = false;
    $('play').textContent = 'Play';
    return;
  }
  requestAnimationFrame(tick);
}
$('scrub').addEventListener('input', () => showFrame((Number($('scrub').value) / 1000) * state.playback.duration_s));

// ---- live session ----
const plot = new ForcePlot($('force-plot'));
state.telemetry = 0;
$('start-session').addEventListener('click', async () => {
  state.stream?.abort();
  plot.clear();
  state.telemetry = 0;
  try {
    const s = await api('POST', '/sessions', { plan_id: state.planId, speed: Number($('session-speed').value) });
    state.sessionId = s.id;
    $('open-report').disabled = false;
    $('session-state').textContent = s.state;
    const abort = new AbortController();
    state.stream = abort;
    streamEvents(`/sessions/${s.id}/telemetry`, onTelemetry, abort.signal).catch(() => {});
  } catch (e) {
    showError($('session-state'), e);
  }
});
function onTelemetry(name, m) {
  if (name === 'end') {
    $('session-state').textContent = `${m.state}: ${m.outcome}`;
    viewer?.setContacts([null, null]);
    return;
  }
  state.telemetry += 1;
  $('telemetry-count').textContent = String(state.telemetry);
  $('session-state').textContent = m.state;
  $('session-time').textContent = m.t_s.toFixed(1);
  $('force-scale').textContent = m.force_scale.toFixed(2);
  plot.add(m.t_s, m.pads);
  viewer?.setContacts(m.pads.map((p) => ({ p: p.position_m, f: p.measured_n, cap: 10 })));
}
for (const b of document.querySelectorAll('[data-command]')) {
  b.addEventListener('click', async () => {
    if (!state.sessionId) return;
    try {
      await api('POST', `/sessions/${state.sessionId}/${b.dataset.command}`);
    } catch (e) {
      showError($('session-state'), e);
    }
  });
}

// ---- report ----
$('open-report').addEventListener('click', async () => {
  const el = $('report');
  try {
    const r = await api('GET', `/sessions/${state.sessionId}/report`);
    const s = r.session;
    const rows = r.contacts.map((c) => `<tr><td>${esc(c.contact)}</td><td>${c.max_commanded_n.toFixed(2)} N</td><td>${c.max_measured_n.toFixed(2)} N</td><td>${c.force_rms_error_n.toFixed(2)} N</td></tr>`).join('');
    const events = r.events.map((e) => `<li>${e.t_s.toFixed(2)} s · ${esc(e.kind)} · ${esc(e.cause)}</li>`).join('');
    el.innerHTML = `<p>Session ${s.id} (plan ${s.plan_id}): <b data-testid="report-state">${esc(s.state)}</b> ${esc(s.outcome)}</p>
      <p>${r.traced_s.toFixed(1)} s traced · pauses ${r.event_counts.pause ?? 0} · softer ${r.event_counts.softer ?? 0} · firmer ${r.event_counts.firmer ?? 0}</p>
      <table><tr><th>contact</th><th>max commanded</th><th>max measured</th><th>RMS error</th></tr>${rows}</table>
      <h3>Events</h3><ol class="small">${events}</ol>
      <h3>Full report</h3><p class="small" data-testid="report-html-state">loading…</p>`;
    // The report module's page: self-contained, shown in a sandbox without access to this page.
    try {
      const html = await apiText(`/sessions/${state.sessionId}/report.html`);
      const frame = document.createElement('iframe');
      frame.setAttribute('sandbox', 'allow-scripts');
      frame.setAttribute('data-testid', 'report-frame');
      frame.className = 'report-frame';
      frame.srcdoc = html;
      el.appendChild(frame);
      el.querySelector('[data-testid=report-html-state]').textContent = '';
    } catch (e) {
      el.querySelector('[data-testid=report-html-state]').textContent = e.message;
    }
  } catch (e) {
    showError(el, e);
  }
});

// ---- guide ----
const guide = new Guide({ card: $('guide-card'), list: $('guide-list'), dot: $('breath-dot'), word: $('breath-word'), viewer: () => viewer });
state.guide = guide;
$('guide-load').addEventListener('click', async () => {
  try {
    guide.load(await api('GET', `/guide/${$('guide-protocol').value}`));
    $('guide-start').disabled = false;
  } catch (e) {
    showError($('guide-card'), e);
  }
});
$('guide-start').addEventListener('click', () => guide.start(Number($('guide-speed').value)));

// ---- start ----
async function start() {
  $('token-state').textContent = token() ? 'token set' : 'enter a token';
  if (!token()) return;
  try {
    const protocols = await api('GET', '/protocols');
    for (const sel of [$('protocol'), $('guide-protocol')]) {
      sel.innerHTML = protocols.map((p) => `<option value="${esc(p.id)}">${esc(p.title)} (${fmt(p.nominal_duration_s)})</option>`).join('');
    }
    if (viewer && !viewer.ready) {
      viewer.setHead(await api('GET', '/head'));
      $('viewer-state').textContent = `head: ${viewer.view.positions_m.length / 3} vertices, ${viewer.view.pressure_points.length} pressure points`;
      $('viewer-state').dataset.ready = 'true';
    }
    $('token-state').textContent = 'connected';
  } catch (e) {
    showError($('token-state'), e);
  }
}
start();
