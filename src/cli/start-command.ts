/**
 * `oneshot start` (`npm start`): the TSC and the Optimizer in one process with the embedded defaults
 * (SQLite, local blobs, software keys, in-process cache, sandbox environment). They still talk over
 * HTTP on loopback (DESIGN.md §2 rule 4). In the sandbox the Optimizer gets a demo token holding the
 * sandbox RAO's credentials, so `GET /api/v1/tokens` lists it and a client can start at once.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadOptimizerConfig } from '../optimizer/config.js';
import { startOptimizer } from '../optimizer/app.js';
import { loadTscConfig } from '../tsc/config.js';
import { startTsc } from '../tsc/main.js';
import type { CliCommand } from './commands.js';
import { waitForSignal } from './wait-for-signal.js';

interface SandboxRaoFile {
  username: string;
  password: string;
  pin: string;
}

export const startCommand: CliCommand = {
  summary: 'Start the TSC and the Optimizer together with embedded defaults (what `npm start` runs).',
  usage: 'Usage: oneshot start\n\nSee README.md "Configuration" for the environment variables of both services.',
  async run(): Promise<number> {
    const tscConfig = loadTscConfig(process.env);
    const tsc = await startTsc(tscConfig);
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, TSC_URL: process.env.TSC_URL || tsc.url };
      env.TSC_CLIENT_API_KEY ||= tscConfig.clientApiKey;
      const raoFile = join(tscConfig.tscDir, 'sandbox-rao.json');
      if (tscConfig.env === 'sandbox' && !env.OPTIMIZER_SANDBOX_RAO_USERNAME && existsSync(raoFile)) {
        const rao = JSON.parse(readFileSync(raoFile, 'utf8')) as SandboxRaoFile;
        env.OPTIMIZER_SANDBOX_RAO_USERNAME = rao.username;
        env.OPTIMIZER_SANDBOX_RAO_PASSWORD = rao.password;
        env.OPTIMIZER_SANDBOX_RAO_PIN = rao.pin;
      }
      const optimizer = await startOptimizer(loadOptimizerConfig(env));
      const lines = [
        '',
        'One-Shot is running.',
        `  Optimizer API   ${optimizer.url}/api/v1   (Gen B)   ${optimizer.url}/oneshot/api/v1   (Gen C)`,
        `  API docs        ${optimizer.url}/docs`,
        `  TSC             ${tsc.url}   (docs ${tsc.url}/docs)`,
        `  Root CA         ${tsc.url}/pki/root.pem`,
        `  Data            ${tscConfig.dataDir}`,
      ];
      if (optimizer.sandboxTokenUid) lines.push(`  Sandbox token   ${optimizer.sandboxTokenUid}`);
      if (tscConfig.outboxPath) lines.push(`  OTP codes       appended to ${tscConfig.outboxPath} (sandbox outbox)`);
      lines.push('  Try it          npm run demo', '');
      console.log(lines.join('\n'));
      await waitForSignal();
      await optimizer.close();
    } finally {
      await tsc.close();
    }
    return 0;
  },
};
