// A rolling plot of commanded (dashed) and measured (solid) normal force per contact.
const COLOURS = ['#2563eb', '#ea8a0c'];

export class ForcePlot {
  constructor(canvas, windowS = 20) {
    this.canvas = canvas;
    this.windowS = windowS;
    this.points = []; // {t, cmd: [l, r], meas: [l, r]}
    this.draw();
  }

  add(t, pads) {
    this.points.push({ t, cmd: pads.map((p) => p.commanded_n), meas: pads.map((p) => p.measured_n) });
    while (this.points.length && this.points[0].t < t - this.windowS) this.points.shift();
    this.draw();
  }

  clear() {
    this.points = [];
    this.draw();
  }

  draw() {
    const c = this.canvas.getContext('2d');
    const { width: w, height: h } = this.canvas;
    c.clearRect(0, 0, w, h);
    const maxF = Math.max(2, ...this.points.flatMap((p) => [...p.cmd, ...p.meas]));
    const t1 = this.points.length ? this.points[this.points.length - 1].t : this.windowS;
    const t0 = t1 - this.windowS;
    const x = (t) => 36 + ((t - t0) / this.windowS) * (w - 46);
    const y = (f) => h - 20 - (Math.max(0, f) / maxF) * (h - 34);
    c.strokeStyle = '#ccc';
    c.fillStyle = '#555';
    c.font = '11px sans-serif';
    for (let f = 0; f <= maxF; f += maxF > 8 ? 2 : 1) {
      c.beginPath();
      c.moveTo(36, y(f));
      c.lineTo(w - 10, y(f));
      c.stroke();
      c.fillText(`${f}`, 8, y(f) + 4);
    }
    c.fillText(`${t1.toFixed(1)} s`, w - 60, h - 4);
    for (let pad = 0; pad < 2; pad++) {
      for (const kind of ['cmd', 'meas']) {
        c.strokeStyle = COLOURS[pad];
        c.lineWidth = kind === 'meas' ? 1.8 : 1.2;
        c.setLineDash(kind === 'cmd' ? [5, 4] : []);
        c.beginPath();
        this.points.forEach((p, i) => {
          const px = x(p.t);
          const py = y(p[kind][pad]);
          if (i === 0) c.moveTo(px, py);
          else c.lineTo(px, py);
        });
        c.stroke();
      }
    }
    c.setLineDash([]);
  }
}
