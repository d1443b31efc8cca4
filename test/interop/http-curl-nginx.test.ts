// curl through pbxgate's HTTP and HTTPS listeners to two real nginx backends, routed by Host.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { startPbxgate } from './support/pbxgate.ts';
import { freeTcpPort } from './support/ports.ts';
import { runTool, startProcess } from './support/process.ts';
import { waitForListen } from './support/listen.ts';
import { findOnPath, requireTool } from './support/tools.ts';

/** An nginx that answers every request with its name and the X-Forwarded-For it was given. */
async function startNginx(t: TestContext, name: string): Promise<number> {
  const port = await freeTcpPort();
  const dir = await mkdtemp(join(tmpdir(), `pbxgate-nginx-${name}-`));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = [
    'daemon off;',
    'worker_processes 1;',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log;`,
    'events { worker_connections 64; }',
    'http {',
    `  access_log off; client_body_temp_path ${dir}; proxy_temp_path ${dir};`,
    `  fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};`,
    `  server { listen 127.0.0.1:${port};`,
    `    location / { default_type text/plain; return 200 "${name} xff=$http_x_forwarded_for host=$host\\n"; } }`,
    '}',
  ].join('\n');
  await writeFile(join(dir, 'nginx.conf'), config);
  await startProcess(t, findOnPath('nginx') ?? 'nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')]);
  await waitForListen({ proto: 'tcp', host: '127.0.0.1', port });
  return port;
}

test('curl reaches two nginx backends through pbxgate over HTTP and HTTPS, routed by Host', async (t) => {
  if (!requireTool(t, 'nginx', 'curl')) return;
  const [a, b] = [await startNginx(t, 'alpha'), await startNginx(t, 'beta')];
  const [http, https] = [await freeTcpPort(), await freeTcpPort()];
  await startPbxgate(
    t,
    [
      'stateDir: state',
      'proxy:',
      `  listen: { http: "127.0.0.1:${http}", https: "127.0.0.1:${https}" }`,
      '  services:',
      `    - { name: alpha.test, host: 127.0.0.1, ports: { http: { tcp: ${a} } }, urls: [/PBX0/] }`,
      `    - { name: beta.test, host: 127.0.0.1, ports: { http: { tcp: ${b} } } }`,
    ].join('\n'),
  );
  const curl = (args: string[]) =>
    runTool('curl', ['-sS', '--max-time', '5', ...args], { timeoutMs: 10_000 });
  const alpha = await curl(['-H', 'Host: alpha.test', `http://127.0.0.1:${http}/PBX0/user`]);
  t.assert.equal(alpha.stdout, 'alpha xff=127.0.0.1 host=alpha.test\n', alpha.stderr);
  const beta = await curl([
    '-H',
    'Host: beta.test',
    '-H',
    'X-Forwarded-For: 6.6.6.6',
    `http://127.0.0.1:${http}/x`,
  ]);
  t.assert.equal(
    beta.stdout,
    'beta xff=127.0.0.1 host=beta.test\n',
    'a client X-Forwarded-For is replaced',
  );
  const secure = await curl([
    '-k',
    '--resolve',
    `alpha.test:${https}:127.0.0.1`,
    `https://alpha.test:${https}/PBX0/`,
  ]);
  t.assert.equal(secure.stdout, 'alpha xff=127.0.0.1 host=alpha.test\n', secure.stderr);
  const forbidden = await curl([
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    '-H',
    'Host: alpha.test',
    `http://127.0.0.1:${http}/CDR0/`,
  ]);
  t.assert.equal(forbidden.stdout, '403');
  const unknown = await curl([
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    '-H',
    'Host: nobody.test',
    `http://127.0.0.1:${http}/`,
  ]);
  t.assert.equal(unknown.stdout, '404');
});
