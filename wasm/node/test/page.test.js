'use strict';
// The browser page in a real headless Chromium: a good request shows a verified token, a bad
// secret shows invalid_client. Saves build/page.png.
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const root = path.resolve(__dirname, '../../www');
const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };

describe('browser page', { concurrency: 1 }, () => {
  let server;
  let browser;
  let url;

  before(async () => {
    server = http.createServer((req, res) => {
      const file = path.join(root, new URL(req.url, 'http://x').pathname.replace(/\/$/, '/index.html'));
      if (!file.startsWith(root) || !fs.existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': types[path.extname(file)] || 'application/octet-stream' });
      fs.createReadStream(file).pipe(res);
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${server.address().port}/`;
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });
  after(async () => {
    await browser?.close();
    server?.close();
  });

  test('a good request shows a verified token, a bad secret invalid_client', async () => {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForSelector('#send:not([disabled])', { timeout: 15000 });

    await page.click('#send');
    await page.waitForSelector('#verdict.ok');
    assert.match(await page.textContent('#verdict'), /^Token verified: admin, scope public/);
    const steps = await page.$$eval('#steps li', (lis) => lis.map((li) => li.textContent));
    assert.deepEqual(steps.map((s) => s.split(' ')[0]), ['POST', 'load', 'sign', 'respond']);
    assert.match(await page.textContent('#claims'), /"typ": "at\+jwt"/);
    fs.mkdirSync(path.resolve(__dirname, '../../../build'), { recursive: true });
    await page.screenshot({ path: path.resolve(__dirname, '../../../build/page.png'), fullPage: true });

    await page.fill('#secret', 'wrong');
    await page.click('#send');
    await page.waitForSelector('#verdict.bad');
    assert.equal(await page.textContent('#verdict'), 'No token: invalid_client');
    assert.match(await page.textContent('#response'), /^HTTP 401/);

    await page.fill('#client-id', 'reporting');
    await page.fill('#secret', 'reporting-secret');
    await page.fill('#scope', '');
    await page.selectOption('#auth', 'post');
    await page.click('#send');
    await page.waitForSelector('#verdict.ok');
    assert.match(await page.textContent('#verdict'), /scope reports:read/);
    assert.deepEqual(errors, []);
  });
});
