'use strict';
// `lc mock --json` as a child process, and its HTTP control API.
const { spawn } = require('node:child_process');
const readline = require('node:readline');

async function start(lc) {
  const child = spawn(lc, ['mock', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const info = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`lc mock printed nothing in 10 s: ${stderr}`)), 10000);
    child.on('error', (e) => { clearTimeout(timer); fail(e); });
    child.on('exit', (code) => { clearTimeout(timer); fail(new Error(`lc mock exited with ${code}: ${stderr}`)); });
    readline.createInterface({ input: child.stdout }).once('line', (line) => { clearTimeout(timer); ok(JSON.parse(line)); });
  });
  const stop = () => new Promise((ok) => {
    if (child.exitCode !== null || child.signalCode !== null) return ok();
    const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => { clearTimeout(kill); ok(); });
    child.kill('SIGTERM');
  });
  // One control request: GET with a query object, POST with a JSON body. Answers the JSON.
  const ctl = async (method, path, body) => {
    let url = info.control_url + path;
    const init = { method, signal: AbortSignal.timeout(5000) };
    if (method === 'GET' && body) url += '?' + new URLSearchParams(body);
    else if (method !== 'GET') init.body = JSON.stringify(body || {});
    const res = await fetch(url, init);
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path} -> ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  return { info, ctl, stop, child };
}

module.exports = { start };
