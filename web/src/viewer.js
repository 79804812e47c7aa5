// The 3-D head: regions and no-go zones as vertex colours, pressure points as small beads, the
// two contacts as spheres coloured by pressure, and a coverage heat map.
import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';

const NO_GO = new THREE.Color(0.85, 0.1, 0.1);
const OTHER = new THREE.Color(0.78, 0.74, 0.7);

// Blue (none) through green and yellow to red (the most contact).
export function heat(x) {
  const t = Math.max(0, Math.min(1, x));
  const c = new THREE.Color();
  c.setHSL((1 - t) * 0.66, 0.85, t === 0 ? 0.35 : 0.5);
  return c;
}

// Green at no force through yellow to red at the region's cap.
export function pressureColour(forceN, capN) {
  const c = new THREE.Color();
  c.setHSL(0.33 * (1 - Math.max(0, Math.min(1, forceN / Math.max(capN, 0.1)))), 0.9, 0.5);
  return c;
}

export class HeadViewer {
  constructor(container) {
    this.container = container;
    this.ready = false;
    this.frames = 0;
    this.renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));
    container.appendChild(this.renderer.domElement);
    this.scene = new THREE.Scene();
    this.scene.background = new THREE.Color(0x1c2230);
    this.camera = new THREE.PerspectiveCamera(35, 1, 0.01, 10);
    this.camera.position.set(0.28, 0.18, 0.42);
    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.target.set(0, 0.03, 0);
    this.controls.update();
    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x445566, 1.6));
    const sun = new THREE.DirectionalLight(0xffffff, 1.4);
    sun.position.set(0.5, 1, 0.8);
    this.scene.add(sun);
    this.contacts = [0x3b82f6, 0xf59e0b].map((rim) => {
      const m = new THREE.Mesh(
        new THREE.SphereGeometry(0.0075, 20, 14),
        new THREE.MeshStandardMaterial({ color: 0x22cc55, emissive: rim, emissiveIntensity: 0.25 }),
      );
      m.visible = false;
      this.scene.add(m);
      return m;
    });
    new ResizeObserver(() => this.resize()).observe(container);
    this.resize();
    // Drawn only when something changed: a software renderer (or a laptop's battery) is spared
    // a full redraw at 60 Hz of a picture that stands still.
    this.dirty = true;
    this.controls.addEventListener('change', () => {
      this.dirty = true;
    });
    const loop = () => {
      this.controls.update();
      if (this.dirty) {
        this.dirty = false;
        this.renderer.render(this.scene, this.camera);
        this.frames += 1;
      }
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  }

  resize() {
    const w = this.container.clientWidth || 400;
    const h = this.container.clientHeight || 400;
    this.renderer.setSize(w, h, false);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    this.dirty = true;
  }

  setHead(view) {
    this.view = view;
    const g = new THREE.BufferGeometry();
    g.setAttribute('position', new THREE.Float32BufferAttribute(view.positions_m, 3));
    g.setIndex(view.faces);
    g.computeVertexNormals();
    this.colours = new Float32Array(view.positions_m.length);
    g.setAttribute('color', new THREE.BufferAttribute(this.colours, 3));
    this.geometry = g;
    this.mesh = new THREE.Mesh(
      g,
      new THREE.MeshStandardMaterial({ vertexColors: true, roughness: 0.8, metalness: 0 }),
    );
    this.scene.add(this.mesh);
    // Pressure points: small white beads.
    const bead = new THREE.SphereGeometry(0.003, 12, 8);
    const white = new THREE.MeshStandardMaterial({ color: 0xffffff, emissive: 0x333333 });
    for (const p of view.pressure_points) {
      const b = new THREE.Mesh(bead, white);
      b.position.set(...p.position_m);
      b.name = `${p.point}-${p.side}`;
      this.scene.add(b);
    }
    // Region centroids, for the guide's finger animation.
    this.centroids = new Map();
    const sums = new Map();
    view.vertex_region.forEach((r, i) => {
      const s = sums.get(r) || [0, 0, 0, 0];
      s[0] += view.positions_m[3 * i];
      s[1] += view.positions_m[3 * i + 1];
      s[2] += view.positions_m[3 * i + 2];
      s[3] += 1;
      sums.set(r, s);
    });
    for (const [r, s] of sums) {
      this.centroids.set(view.regions[r].name, new THREE.Vector3(s[0] / s[3], s[1] / s[3], s[2] / s[3]));
    }
    this.showRegions();
    this.ready = true;
    this.dirty = true;
  }

  showRegions() {
    const { regions, vertex_region: labels } = this.view;
    labels.forEach((r, i) => {
      const reg = regions[r];
      const c = reg.no_go ? NO_GO : reg.massage ? new THREE.Color(...reg.colour.map((v) => v / 255)) : OTHER;
      this.colours.set([c.r, c.g, c.b], 3 * i);
    });
    this.geometry.attributes.color.needsUpdate = true;
    this.mode = 'regions';
    this.dirty = true;
  }

  showCoverage(vertexSeconds) {
    const max = Math.max(1e-6, ...vertexSeconds);
    const { regions, vertex_region: labels } = this.view;
    vertexSeconds.forEach((s, i) => {
      const c = regions[labels[i]].no_go ? NO_GO : heat(Math.sqrt(s / max));
      this.colours.set([c.r, c.g, c.b], 3 * i);
    });
    this.geometry.attributes.color.needsUpdate = true;
    this.mode = 'coverage';
    this.dirty = true;
  }

  // Each contact: {p: [x, y, z], f: newtons, cap: newtons} or null (parked: hidden).
  setContacts(contacts) {
    this.dirty = true;
    contacts.forEach((c, i) => {
      const m = this.contacts[i];
      if (!c) {
        m.visible = false;
        return;
      }
      m.visible = true;
      m.position.set(...c.p);
      m.material.color = pressureColour(c.f, c.cap ?? 10);
    });
  }

  // Turns the camera to face the mean of these head-frame points from outside the head.
  lookAt(points) {
    if (!points.length) return;
    const m = new THREE.Vector3();
    for (const p of points) m.add(new THREE.Vector3(...p));
    m.divideScalar(points.length);
    const dir = m.clone().sub(this.controls.target);
    if (dir.lengthSq() < 1e-8) return;
    dir.normalize();
    this.camera.position.copy(this.controls.target).add(dir.multiplyScalar(0.55));
    this.controls.update();
    this.dirty = true;
  }

  regionCentroid(name) {
    return this.centroids?.get(name) ?? new THREE.Vector3(0, 0.1, 0);
  }
}
