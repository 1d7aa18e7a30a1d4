import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * The browser test drives Debian's Chromium. On a fresh machine of this project's kind (root, apt, Debian's
 * registry reachable) it is installed here, once per test run, so `npm test` needs no extra step; elsewhere the
 * browser test says what to install.
 */
export function ensureChromium(): void {
  const path = process.env.HOTLINE_CHROMIUM ?? '/usr/bin/chromium';
  if (existsSync(path) || path !== '/usr/bin/chromium') return;
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  console.log('Installing Debian chromium for the browser test (apt-get)...');
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env, timeout: 600_000 });
  if (update.status !== 0) return;
  spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env, timeout: 1_200_000 });
}
