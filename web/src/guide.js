// Guide mode: one card per step with a timer, a breathing cue and the fingers' positions
// animated on the head.
import * as THREE from 'three';
import { esc } from './html.js';

function fmt(s) {
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}

export class Guide {
  constructor({ card, list, dot, word, viewer }) {
    Object.assign(this, { cardEl: card, listEl: list, dot, word, viewer });
    this.cards = [];
    this.index = -1;
    this.timer = null;
  }

  load(doc) {
    this.doc = doc;
    this.cards = doc.cards;
    this.index = -1;
    this.listEl.innerHTML = this.cards.map((c) => `<li>${esc(c.title)} · ${fmt(c.duration_s)}</li>`).join('');
    this.cardEl.innerHTML = `<b>${esc(doc.title)}</b><p>${this.cards.length} steps, about ${fmt(doc.total_duration_s)}. Sit comfortably; stop at once if anything hurts.</p>`;
  }

  start(speed) {
    clearInterval(this.timer);
    this.speed = speed;
    this.show(0);
    this.timer = setInterval(() => this.tick(), 100);
  }

  show(i) {
    this.index = i;
    [...this.listEl.children].forEach((li, k) => li.classList.toggle('current', k === i));
    if (i >= this.cards.length) {
      clearInterval(this.timer);
      this.cardEl.innerHTML = '<b data-testid="guide-done">The routine is complete.</b> Sit quietly for a minute before getting up.';
      this.viewer()?.setContacts([null, null]);
      return;
    }
    const c = this.cards[i];
    this.left = c.duration_s;
    this.elapsed = 0;
    this.cardEl.innerHTML = `<div class="small">Step ${c.number} of ${this.cards.length}</div>
      <h3 data-testid="guide-title">${esc(c.title)}</h3>
      <div class="timer" data-testid="guide-timer">${fmt(c.duration_s)}</div>
      <p><b>Where:</b> ${esc(c.where)}</p><p><b>How:</b> ${esc(c.how)}</p>
      ${c.massage ? `<p><b>Pressure:</b> ${esc(c.pressure)}</p>` : ''}
      ${c.points.length ? `<p><b>Points:</b> ${esc(c.points.join(', '))}</p>` : ''}
      ${c.cue ? `<p><i>${esc(c.cue)}</i></p>` : ''}`;
  }

  tick() {
    const c = this.cards[this.index];
    if (!c) return;
    const dt = 0.1 * this.speed;
    this.left -= dt;
    this.elapsed += dt;
    const timer = this.cardEl.querySelector('.timer');
    if (timer) timer.textContent = fmt(Math.max(0, this.left));
    // Breathing: the dot grows while breathing in and shrinks while breathing out (real time).
    const { inhale_s: inh, exhale_s: exh } = c.breathing;
    const phase = (performance.now() / 1000) % (inh + exh);
    const inhaling = phase < inh;
    const size = inhaling ? 20 + 40 * (phase / inh) : 60 - 40 * ((phase - inh) / exh);
    this.dot.style.width = this.dot.style.height = `${size}px`;
    this.word.textContent = inhaling ? 'breathe in…' : 'breathe out…';
    this.animateFingers(c);
    if (this.left <= 0) this.show(this.index + 1);
  }

  // Two fingertips circling on the step's regions (left hand on the left side, right on the
  // right), moving from one region to the next over the step.
  animateFingers(c) {
    const v = this.viewer();
    if (!v?.ready || !c.massage || !c.regions.length) {
      v?.setContacts([null, null]);
      return;
    }
    const k = Math.min(c.regions.length - 1, Math.floor((this.elapsed / c.duration_s) * c.regions.length));
    const centre = v.regionCentroid(c.regions[k]);
    const a = performance.now() / 400;
    const out = centre.clone().normalize();
    const side = new THREE.Vector3(1, 0, 0);
    const fingers = [1, -1].map((s) => {
      const p = centre.clone().add(side.clone().multiplyScalar(s * (Math.abs(centre.x) < 0.02 ? 0.025 : 0)));
      p.add(new THREE.Vector3(Math.cos(a) * 0.008, Math.sin(a) * 0.008, 0)).add(out.clone().multiplyScalar(0.006));
      return { p: [p.x, p.y, p.z], f: 3, cap: 10 };
    });
    v.setContacts(fingers);
  }
}
