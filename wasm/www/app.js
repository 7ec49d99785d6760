// The browser driver: the same step loop as the Lambda shells, with in-page I/O.
import init, { Settings, TokenEndpoint, verifyToken } from './pkg/token_wasm.js';

const $ = (id) => document.getElementById(id);
const b64 = (bytes) => btoa(String.fromCharCode(...bytes));
const b64urlJson = (part) => JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/')));

const CLIENTS = {
  admin: [{ Username: { S: 'admin' }, Password: { S: 'admin' } }],
  reporting: [{ Username: { S: 'reporting' }, Password: { S: 'reporting-secret' }, Scopes: { SS: ['reports:read'] }, TokenTtl: { N: '600' } }],
  retired: [{ Username: { S: 'retired' }, Password: { S: 'retired-secret' }, Disabled: { BOOL: true } }],
};

await init();
const issuer = location.origin;
const settings = Settings.fromEnv(JSON.stringify({ TOKEN_ISSUER: issuer }), true);
const keyPair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
const spki = new Uint8Array(await crypto.subtle.exportKey('spki', keyPair.publicKey));
const endpoint = new TokenEndpoint(settings, JSON.stringify([{ keyId: 'browser-key', publicKey: b64(spki) }]));
$('clients').value = JSON.stringify(CLIENTS, null, 1);
$('status').textContent = `Ready: issuer ${issuer}, key ${endpoint.kid}.`;
$('send').disabled = false;

function step(text) {
  const li = document.createElement('li');
  li.textContent = text;
  $('steps').append(li);
}

$('request').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('steps').replaceChildren();
  const id = $('client-id').value;
  const secret = $('secret').value;
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if ($('scope').value) form.set('scope', $('scope').value);
  const headers = [['content-type', 'application/x-www-form-urlencoded']];
  if ($('auth').value === 'basic') {
    const enc = (s) => encodeURIComponent(s).replace(/%20/g, '+');
    headers.push(['authorization', 'Basic ' + btoa(unescape(encodeURIComponent(`${enc(id)}:${enc(secret)}`)))]);
  } else {
    form.set('client_id', id);
    form.set('client_secret', secret);
  }
  const body = new TextEncoder().encode(form.toString());
  const tokenId = crypto.getRandomValues(new Uint8Array(16));
  const exchange = endpoint.handle('POST', '/token', JSON.stringify(headers), body, Math.floor(Date.now() / 1000), tokenId);
  step('POST /token handed to core');
  while (exchange.kind !== 'respond') {
    if (exchange.kind === 'load_client') {
      let table = {};
      try {
        table = JSON.parse($('clients').value);
      } catch {
        step('client table is not JSON: treated as empty');
      }
      const items = table[exchange.clientId] || [];
      step(`load client "${exchange.clientId}": ${items.length} item(s)`);
      exchange.provide(JSON.stringify(items));
    } else {
      step(`sign ${exchange.message.length} bytes with ${exchange.alg} (WebCrypto)`);
      const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, keyPair.privateKey, exchange.message);
      exchange.finish(new Uint8Array(signature), 'jose');
    }
  }
  const response = JSON.parse(exchange.response);
  step(`respond ${response.status} (${response.outcome})`);
  $('response').textContent = `HTTP ${response.status}\n${JSON.stringify(JSON.parse(response.body), null, 1)}`;
  const token = JSON.parse(response.body).access_token;
  const verdict = $('verdict');
  if (!token) {
    verdict.textContent = 'No token: ' + JSON.parse(response.body).error;
    verdict.className = 'bad';
    $('claims').textContent = '';
    return;
  }
  const [header, claims] = token.split('.').slice(0, 2).map(b64urlJson);
  $('claims').textContent = JSON.stringify({ header, claims }, null, 1);
  const result = JSON.parse(verifyToken(token, endpoint.jwks(), Date.now() / 1000, issuer, settings.audience, 5));
  verdict.textContent = result.ok ? `Token verified: ${result.claims.client_id}, scope ${result.claims.scope || '-'}` : `Not verified: ${result.error}`;
  verdict.className = result.ok ? 'ok' : 'bad';
});
