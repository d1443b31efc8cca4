import { test } from 'node:test';
import { proxySchema, type ProxyServiceConfig } from '../../src/config/schema-proxy.ts';
import { createRouter } from '../../src/proxy/router.ts';
import type { RequestKind } from '../../src/proxy/protocol.ts';

function servicesOf(services: unknown[]): readonly ProxyServiceConfig[] {
  return proxySchema.parse({ services }).services;
}

const services = servicesOf([
  {
    name: 'Example.com',
    host: '10.0.0.5',
    ports: { sip: { tcp: 5060 }, h323: { tcp: 1720 }, http: { tcp: 80 } },
    allow: { sip: ['198.51.100.0/24', '2001:db8::/32'], http: [] },
  },
  { name: 'gk/berlin', host: '10.0.0.6', ports: { h323: { tcp: 1720 } } },
  { name: 'gk', host: '10.0.0.7', ports: { h323: { tcp: 1720 } } },
]);

// [kind, names, client IP, expected: service host | 'unknown-service' | 'forbidden']
const cases: [RequestKind, string[], string, string][] = [
  ['sip', ['example.com'], '198.51.100.7', '10.0.0.5'],
  ['sip', ['EXAMPLE.COM'], '198.51.100.7', '10.0.0.5'],
  ['sip', ['example.com'], '::ffff:198.51.100.7', '10.0.0.5'], // dual-stack listener, IPv4 client
  ['sip', ['example.com'], '2001:db8:1::9', '10.0.0.5'],
  ['sip', ['example.com'], '203.0.113.1', 'forbidden'],
  ['sip', ['example.com'], '::ffff:203.0.113.1', 'forbidden'],
  ['sip', ['example.com'], '2001:db9::1', 'forbidden'],
  ['sip', ['example.com'], 'not-an-ip', 'forbidden'],
  ['sip', ['example.org'], '198.51.100.7', 'unknown-service'],
  ['h323', ['example.com'], '203.0.113.1', '10.0.0.5'], // no allow-list for h323: everyone
  ['http', ['example.com'], '198.51.100.7', 'forbidden'], // an empty list admits no one
  ['ldap', ['example.com'], '198.51.100.7', 'unknown-service'], // no ldap port
  ['h323', ['gk/berlin', 'gk'], '192.0.2.1', '10.0.0.6'], // the first that exists wins
  ['h323', ['gk/paris', 'gk'], '192.0.2.1', '10.0.0.7'],
  ['h323', ['gk/paris'], '192.0.2.1', 'unknown-service'],
  ['sip', ['gk'], '192.0.2.1', 'unknown-service'],
];

for (const [kind, names, ip, expected] of cases) {
  test(`${kind} ${names.join(' > ')} from ${ip}: ${expected}`, (t) => {
    const decision = createRouter(services, kind).route(names, ip);
    t.assert.equal(decision.kind === 'route' ? decision.service.host : decision.kind, expected);
  });
}

test('a forbidden decision names the service it refused', (t) => {
  const decision = createRouter(services, 'sip').route(['example.com'], '203.0.113.1');
  t.assert.equal(decision.kind === 'forbidden' && decision.service.name, 'Example.com');
});
