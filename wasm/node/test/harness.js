'use strict';
// Test harness: a real moto_server provisioned by the real init.sh, a fake AWS endpoint for
// faults moto cannot produce, and a fresh copy of the handler per configuration.
const { spawn, execFileSync } = require('node:child_process');
const net = require('node:net');
const http = require('node:http');
const path = require('node:path');
const fs = require('node:fs');
const crypto = require('node:crypto');
const assert = require('node:assert/strict');

const root = path.resolve(__dirname, '../../..');
const events = path.join(root, 'lambda/tests/events');

const freePort = () =>
  new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

const awsEnv = { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'key', AWS_SECRET_ACCESS_KEY: 'secret' };

// The environment without what a test set for a handler (service endpoints, TOKEN_*).
function cleanEnv() {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith('TOKEN_') || key.startsWith('AWS_ENDPOINT_URL')) delete env[key];
  }
  return env;
}

async function startEmulator({ recording = false, port: wanted } = {}) {
  const moto = process.env.MOTO_SERVER || path.join(root, '.venv/bin/moto_server');
  const port = wanted || (await freePort());
  const env = { ...process.env };
  delete env.MOTO_ENABLE_RECORDING;
  if (recording) {
    env.MOTO_ENABLE_RECORDING = '1';
    env.MOTO_RECORDER_FILEPATH = path.join(require('node:os').tmpdir(), `moto-recording-node-${port}`);
  }
  const child = spawn(moto, ['-H', '127.0.0.1', '-p', String(port)], { env, stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try {
      await fetch(`${url}/moto-api/`);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const emulator = {
    url,
    stop: () => child.kill(),
    init: () =>
      execFileSync('bash', [path.join(root, 'init-scripts/init.sh')], {
        env: { ...cleanEnv(), ...awsEnv, AWS_ENDPOINT_URL: url, PATH: `${path.join(root, '.venv/bin')}:${process.env.PATH}` },
        stdio: 'pipe',
      }).toString(),
    startRecording: async () => {
      await fetch(`${url}/moto-api/recorder/reset-recording`, { method: 'POST' });
      await fetch(`${url}/moto-api/recorder/start-recording`, { method: 'POST' });
    },
    operations: async () =>
      (await (await fetch(`${url}/moto-api/recorder/download-recording`)).text())
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line).headers['X-Amz-Target'])
        .filter(Boolean),
  };
  process.on('exit', () => child.kill());
  return emulator;
}

// scripts/fault-proxy.py in front of `upstream`: passes requests through until a fault is set.
async function faultProxy(upstream) {
  const child = spawn('python3', [path.join(root, 'scripts/fault-proxy.py'), '--upstream', upstream], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.on('exit', () => child.kill());
  const port = await new Promise((resolve, reject) => {
    child.stdout.once('data', (chunk) => {
      const match = /^listening (\d+)/.exec(chunk.toString());
      match ? resolve(Number(match[1])) : reject(new Error(`fault proxy said ${chunk}`));
    });
    child.once('exit', (code) => reject(new Error(`fault proxy exited with ${code}`)));
  });
  const control = `http://127.0.0.1:${port}/__fault`;
  return {
    url: `http://127.0.0.1:${port}`,
    set: async (fault) => assert.equal((await fetch(control, { method: 'PUT', body: JSON.stringify(fault) })).status, 204),
    clear: async () => assert.equal((await fetch(control, { method: 'DELETE' })).status, 204),
    stop: () => child.kill(),
  };
}

// A fresh handler module reading `env` (index.js reads its settings when loaded).
function loadHandler(env) {
  for (const key of Object.keys(process.env)) {
    if (key.startsWith('TOKEN_') || key.startsWith('AWS_ENDPOINT_URL')) delete process.env[key];
  }
  Object.assign(process.env, awsEnv, env);
  const file = require.resolve('../index.js');
  delete require.cache[file];
  return require(file);
}

const event = (name) => JSON.parse(fs.readFileSync(path.join(events, name), 'utf8'));

// A REST v1 token event with other credentials and body.
function tokenEvent(id, secret, body = 'grant_type=client_credentials') {
  const e = event('rest_v1_token.json');
  const auth = 'Basic ' + Buffer.from(`${id}:${secret}`).toString('base64');
  e.headers.Authorization = auth;
  e.multiValueHeaders.Authorization = [auth];
  e.body = body;
  return e;
}

// Runs the handler and captures the JSON lines it writes to stdout. Anything else (the test
// runner talks to its parent through stdout too) passes through.
async function invoke(handler, evt) {
  const lines = [];
  const write = process.stdout.write;
  process.stdout.write = function (chunk, ...rest) {
    if (typeof chunk === 'string' && chunk.startsWith('{')) {
      lines.push(...chunk.split('\n').filter(Boolean));
      return true;
    }
    return write.call(this, chunk, ...rest);
  };
  const started = Date.now();
  try {
    const response = await handler(evt);
    return { response, body: JSON.parse(response.body), lines, ms: Date.now() - started };
  } finally {
    process.stdout.write = write;
  }
}

// Verifies an access token the way a Node.js resource server would, with node:crypto and the
// JWKS alone (the handler's wasm carries no verifier). Returns the claims or throws.
function verifyJwt(token, jwksJson, issuer, audience, leeway = 5) {
  const [h, p, s] = token.split('.');
  const decode = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  const header = decode(h);
  assert.equal(header.typ, 'at+jwt');
  const jwk = JSON.parse(jwksJson).keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, `no JWKS key has kid ${header.kid}`);
  assert.equal(header.alg, jwk.alg);
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  const hash = `sha${header.alg.slice(2)}`;
  const options = {
    RS: { key },
    PS: { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(header.alg.slice(2)) / 8 },
    ES: { key, dsaEncoding: 'ieee-p1363' },
  }[header.alg.slice(0, 2)];
  const ok = crypto.verify(hash, Buffer.from(`${h}.${p}`), options, Buffer.from(s, 'base64url'));
  assert.ok(ok, 'the signature does not verify');
  const claims = decode(p);
  const now = Date.now() / 1000;
  assert.equal(claims.iss, issuer);
  assert.ok([].concat(claims.aud).includes(audience), `aud ${claims.aud} lacks ${audience}`);
  assert.ok(claims.exp > now - leeway && claims.iat <= now + leeway, 'outside its lifetime');
  return claims;
}

module.exports = { startEmulator, faultProxy, loadHandler, event, tokenEvent, invoke, freePort, verifyJwt };
