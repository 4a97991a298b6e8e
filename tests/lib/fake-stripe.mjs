// A fake of the two Stripe API calls Broadsheet makes, on a loopback port, for the HTTP tests:
// POST /v1/checkout/sessions answers a Checkout Session with its url, POST
// /v1/billing_portal/sessions a portal session with its url. Every request is recorded (method,
// path, headers, the raw body and its form fields decoded). fail() makes the calls answer as
// Stripe does on an error ({"error": {"message", "type"}}) until succeed().

import http from 'node:http';

export const CHECKOUT_URL = 'https://checkout.stripe.test/pay/cs_test_1';
export const PORTAL_URL = 'https://billing.stripe.test/p/session/bps_test_1';

export async function startFakeStripe() {
  const requests = [];
  let failure = null; // {status, message} while failing

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const form = Object.fromEntries(new URLSearchParams(body));
      requests.push({ method: req.method, path: req.url, headers: req.headers, body, form });
      const send = (status, json) => {
        const text = JSON.stringify(json);
        res.writeHead(status, { 'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(text) });
        res.end(text);
      };
      if (req.method !== 'POST') {
        send(405, { error: { type: 'invalid_request_error', message: 'POST only' } });
      } else if (failure) {
        send(failure.status, { error: { type: 'invalid_request_error', message: failure.message } });
      } else if (req.url === '/v1/checkout/sessions') {
        send(200, { id: 'cs_test_1', object: 'checkout.session', mode: form.mode ?? null,
          url: CHECKOUT_URL });
      } else if (req.url === '/v1/billing_portal/sessions') {
        send(200, { id: 'bps_test_1', object: 'billing_portal.session',
          customer: form.customer ?? null, url: PORTAL_URL });
      } else {
        send(404, { error: { type: 'invalid_request_error',
          message: `Unrecognized request URL (POST: ${req.url}).` } });
      }
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    clear() { requests.length = 0; },
    fail(status = 400, message = 'No such price: price_missing') { failure = { status, message }; },
    succeed() { failure = null; },
    stop() {
      return new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      });
    },
  };
}
