// The web page in Debian's Chromium, headless, driven by playwright-core: open the page, play a
// plan, start a simulated session, pause and resume it, watch the force plot move, stop it, open
// the report and follow the guide. Screenshots go to OUT_DIR as test artefacts.
//
//   node tests/web/browser_test.mjs HEADSPA_CLI WEB_DIR OUT_DIR
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const [cli, webDir, outDir] = process.argv.slice(2);
if (!cli || !webDir || !outDir) {
  console.error('usage: node browser_test.mjs HEADSPA_CLI WEB_DIR OUT_DIR');
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(resolve(webDir), 'package.json'));
const { chromium } = require('playwright-core');

mkdirSync(outDir, { recursive: true });
const work = mkdtempSync(join(tmpdir(), 'headspa-web-'));
const db = join(work, 'records.db');
const t0 = Date.now();
const step = (what) => console.log(`[web] ${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
let server = null;
let browser = null;

function fail(message) {
  throw new Error(message);
}

async function until(what, fn, timeoutMs = 20000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

try {
  // A token and a server on a free loopback port.
  const made = execFileSync(cli, ['token', 'create', 'browser-test', '--db', db]).toString();
  const token = /hst_[0-9a-f]{64}/.exec(made)?.[0] ?? fail(`no token in: ${made}`);
  const portFile = join(work, 'port');
  server = spawn(cli, ['serve', '--port', '0', '--port-file', portFile, '--db', db], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await until('the server', () => existsSync(portFile), 60000);
  const base = `http://127.0.0.1:${readFileSync(portFile, 'utf8').trim()}`;
  const call = async (method, path, body) => {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body && JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) fail(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  // A one-minute routine, planned through the API.
  const doc = readFileSync(join(here, '..', 'server', 'data', 'point-holds.yaml'), 'utf8');
  const plan = await call('POST', '/plans', { protocol_document: doc });
  step(`plan ${plan.id}: ${plan.duration_s} s`);

  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--disable-default-apps', '--no-first-run', '--disable-domain-reliability',
      '--disable-breakpad', '--metrics-recording-only', '--no-pings', '--disable-features=Translate,OptimizationHints,MediaRouter',
      '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  const shot = (name) => page.screenshot({ path: join(outDir, `${name}.png`) });
  const text = (id) => page.textContent(`[data-testid=${id}]`);

  // 1. The page and the head.
  await page.goto(`${base}/#token=${token}`);
  step('page loaded');
  await page.waitForSelector('[data-testid=viewer-state][data-ready=true]', { timeout: 30000 });
  if (page.url().includes('token=')) fail('the token stayed in the address bar');
  await until('the head to render', async () => (await page.evaluate(() => window.headspa.viewer.frames)) > 0);
  await shot('01-head');
  step(await text('viewer-state'));

  // 2. Plan playback: contacts move and are coloured by pressure.
  await page.fill('[data-testid=plan-id]', String(plan.id));
  await page.click('[data-testid=open-plan]');
  await page.waitForSelector('[data-testid=plan-state][data-ready=true]');
  await page.selectOption('#play-speed', '30');
  await page.click('[data-testid=play]');
  await until('playback to press', async () => /\d+\.\d N contact/.test(await text('contact-forces')));
  const played = await page.evaluate(() => window.headspa.play.t);
  if (!(played > 0)) fail('playback did not advance');
  const contactColour = await page.evaluate(() => window.headspa.viewer.contacts[0].material.color.getHexString());
  await shot('02-playback');
  step(`playback at ${played.toFixed(1)} s, left contact colour #${contactColour}`);
  await page.click('[data-testid=play]');
  await page.check('[data-testid=coverage-mode]');
  if ((await page.evaluate(() => window.headspa.viewer.mode)) !== 'coverage') fail('no heat map');
  await shot('03-coverage');

  // 3. A simulated session: running, paused, resumed, force plot moving, stopped.
  await page.click('nav button[data-view=session]');
  await page.selectOption('#session-speed', '1');
  await page.click('[data-testid=start-session]');
  await until('massaging', async () => (await text('session-state')) === 'massaging', 60000);
  await until('telemetry', async () => Number(await text('telemetry-count')) > 10);
  const plotA = await page.evaluate(() => document.getElementById('force-plot').toDataURL());
  await page.click('[data-testid=pause]');
  await until('paused', async () => (await text('session-state')) === 'paused');
  await shot('04-session-paused');
  await page.click('[data-testid=resume]');
  await until('resumed', async () => (await text('session-state')) === 'massaging');
  const countB = Number(await text('telemetry-count'));
  await until('more telemetry', async () => Number(await text('telemetry-count')) > countB + 10);
  const plotB = await page.evaluate(() => document.getElementById('force-plot').toDataURL());
  if (plotA === plotB) fail('the force plot did not change');
  await shot('05-session-resumed');
  await page.click('[data-testid=stop]');
  await until('the session to end', async () => /finished|aborted/.test(await text('session-state')), 30000);
  step(`session: ${await text('session-state')}`);

  // 4. The report.
  await page.click('nav button[data-view=report]');
  await page.click('[data-testid=open-report]');
  await page.waitForSelector('[data-testid=report-state]');
  const report = await text('report');
  for (const word of ['pause', 'resume', 'stop']) {
    if (!report.includes(word)) fail(`the report does not mention ${word}`);
  }
  // The report module's page in its sandboxed frame.
  const frame = await (await page.waitForSelector('[data-testid=report-frame]', { timeout: 30000 })).contentFrame();
  await frame.waitForSelector('body');
  const reportHtml = await frame.content();
  if (!reportHtml.includes('Session report')) fail('the report frame does not hold the session report');
  await shot('06-report');

  // 5. Guide mode.
  await page.click('nav button[data-view=guide]');
  await page.selectOption('[data-testid=guide-protocol]', 'scalp-self');
  await page.click('[data-testid=guide-load]');
  await page.selectOption('#guide-speed', '60');
  await page.click('[data-testid=guide-start]');
  await page.waitForSelector('[data-testid=guide-title]');
  const t1 = await text('guide-timer');
  await until('the step timer', async () => (await text('guide-timer')) !== t1);
  await until('a breathing cue', async () => /breathe (in|out)/.test(await text('breath-word')));
  await shot('07-guide');

  if (errors.length) fail(`errors in the page: ${errors.join(' | ')}`);
  step(`screenshots in ${outDir}`);
  console.log('[web] PASS');
} catch (e) {
  console.error(`[web] FAIL: ${e.message}`);
  process.exitCode = 1;
} finally {
  if (browser) await browser.close();
  if (server) {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
  rmSync(work, { recursive: true, force: true });
}
