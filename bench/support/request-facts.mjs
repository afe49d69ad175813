// The request and response facts the event benches record: what a load generator's request looks like to
// the gateway (bench:gateway sends about this), one shared shape so the benches measure the same events.

const headers = {
  host: '127.0.0.1:8080',
  'user-agent': 'undici/6 bench',
  accept: 'application/json',
  'accept-encoding': 'gzip, deflate',
  'x-forwarded-for': '10.0.0.1',
  authorization: 'Bearer abc.def.ghi',
};

/** Request `i`'s facts: every fourth one carries a query. */
export const facts = (i) => ({
  request_id: `0b6d3f1c-8a2e-4e51-9d0a-${String(i).padStart(12, '0')}`,
  method: 'GET',
  path: i % 4 === 0 ? `/users/${i}?page=2&sort=name` : `/users/${i}`,
  endpoint: '/users/{id}',
  query: i % 4 === 0 ? 'page=2&sort=name' : '',
  client_ip: '127.0.0.1',
  headers,
  body_bytes: 0,
});

export const response = {
  status: 200,
  latency_ms: 1.734,
  bytes: 412,
  completed: true,
  backends: [{ url: 'http://127.0.0.1:9000/users/1', method: 'GET', status: 200, latency_ms: 1.21 }],
};
