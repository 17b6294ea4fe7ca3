import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { SETTINGS, loadConfig } from '../../src/config/config.js';
import { CONFIG_DOCS_PATH, renderConfigDocs } from '../../scripts/render-config-docs.js';

describe('the SETTINGS table', () => {
  it('renders docs/configuration.md exactly (run npm run docs:config after changing a setting)', async () => {
    expect(await readFile(CONFIG_DOCS_PATH, 'utf8')).toBe(renderConfigDocs());
  });

  it('declares exactly the SQUIDSHIP_* variables loadConfig reads', () => {
    const read = new Set<string>();
    const env = new Proxy({} as Record<string, string | undefined>, {
      get(_target, name) {
        if (typeof name === 'string') read.add(name);
        return undefined;
      },
    });
    loadConfig(env, '/srv');
    expect([...read].sort()).toEqual(Object.keys(SETTINGS).sort());
  });

  it('gives every numeric and choice setting a default it would accept', () => {
    for (const setting of Object.values(SETTINGS)) {
      if (setting.kind === 'int') {
        expect(setting.default).toBeGreaterThanOrEqual(setting.min);
        expect(setting.default).toBeLessThanOrEqual(setting.max);
      }
      if (setting.kind === 'choice') expect(setting.choices).toContain(setting.default);
    }
  });
});
