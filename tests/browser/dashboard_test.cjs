// Drives the dashboard in Debian's headless chromium (playwright-core, no downloaded browser):
// the page loads, its numbers equal the gRPC answers the C++ test wrote to expected.json, and a
// worker registered while the page is open shows up without a reload. Saves a screenshot.
// Usage: node dashboard_test.cjs <dashboard url> <control url> <expected.json> <screenshot.png>
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const [dashboard, control, expectedFile, screenshot] = process.argv.slice(2);
const expected = JSON.parse(fs.readFileSync(expectedFile, 'utf8'));
const deadline = 30000;

function check(condition, message) {
  if (!condition) throw new Error(message);
}

(async () => {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'jaring-chromium-'));
  // A fresh profile directory (--user-data-dir) per run, given the way playwright wants it.
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 1400 },
  });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', e => errors.push(String(e)));
    await page.goto(dashboard, { waitUntil: 'load' });
    // The grid of the expected kelurahan with every RW the gRPC API listed.
    await page.waitForFunction(e => document.querySelectorAll(`#rws[data-kelurahan="${e.kelurahan}"] .rw`).length === Object.keys(e.rws).length,
      expected, { timeout: deadline });
    const tiles = await page.$$eval('#rws .rw', ds => Object.fromEntries(ds.map(d => [d.dataset.rw, Number(d.dataset.registered)])));
    check(JSON.stringify(tiles) === JSON.stringify(expected.rws),
      `tiles ${JSON.stringify(tiles)} differ from gRPC ${JSON.stringify(expected.rws)}`);
    const card = await page.$eval('[data-counter="registered"] b', b => Number(b.textContent.replace(/\D/g, '')));
    check(card === expected.total_registered, `card says ${card}, gRPC ${expected.total_registered}`);
    const share = await page.$eval('[data-counter="share"] .muted', s => s.textContent);
    check(share.includes(`${expected.rws_at_target} dari ${expected.rw_count} RW`), `share says "${share}"`);
    await page.waitForFunction(() => document.getElementById('live').classList.contains('on'), null, { timeout: deadline });

    // Live: a marker that a reload would wipe, then a registration through the test's control.
    await page.evaluate(() => { window.notReloaded = true; });
    const reply = await fetch(control + '/register', { method: 'POST' });
    check(reply.ok, `control /register answered ${reply.status}`);
    const registered = await reply.json();
    await page.waitForFunction(r => {
      const tile = document.querySelector(`#rws .rw[data-rw="${r.rw_code}"]`);
      return tile && Number(tile.dataset.registered) === r.registered;
    }, registered, { timeout: deadline });
    check(await page.evaluate(() => window.notReloaded === true), 'the page reloaded');
    check(await page.evaluate(() => window.jaring.events) > 0, 'no Server-Sent Event arrived');
    check(errors.length === 0, `page errors: ${errors.join('; ')}`);
    fs.mkdirSync(path.dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`OK: ${Object.keys(tiles).length} RWs match gRPC; ${registered.rw_code} reached ${registered.registered} live; screenshot ${screenshot}`);
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
})().catch(e => {
  console.error('FAILED:', e.message);
  process.exit(1);
});
