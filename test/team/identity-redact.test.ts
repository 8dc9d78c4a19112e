/** The URL redactor (src/shared/redact-url.ts) and the machine identity (src/sidecar/team/machine.ts). */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { redactSecretsIn, redactUrl, redactUrlsIn } from '../../src/shared/redact-url.js';
import { machineId, machineIdentity } from '../../src/sidecar/team/machine.js';
import { tempDir } from '../helpers/temp.js';

describe('redactUrl', () => {
  it.each([
    ['postgres://alice:s3cret@db.example.com:5432/agents', 'postgres://alice:***@db.example.com:5432/agents'],
    ['postgresql://alice:p%40ss@db/agents?sslmode=verify-full', 'postgresql://alice:***@db/agents?sslmode=verify-full'],
    ['postgres://alice:pa@ss@db/agents', 'postgres://alice:***@db/agents'],
    ['postgres://alice@db/agents?password=s3cret&sslmode=require', 'postgres://alice@db/agents?password=***&sslmode=require'],
    ['postgres://db/agents?user=a&PASSWORD=x&sslpassword=y', 'postgres://db/agents?user=a&PASSWORD=***&sslpassword=***'],
    ['postgres://alice:s3cret@db/agents#frag', 'postgres://alice:***@db/agents'],
    ['postgres://db:5432/agents', 'postgres://db:5432/agents'],
    ["host=db user=alice password='s3 cret' dbname=agents", 'host=db user=alice password=*** dbname=agents'],
    ['host=db password=s3cret', 'host=db password=***'],
    ['', ''],
  ])('%s → %s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });

  it('removes the password from a driver message, raw and percent-decoded', () => {
    const url = 'postgres://alice:p%40ss-word@db/agents';
    expect(redactSecretsIn(`password authentication failed for "alice" (p@ss-word) at ${url}`, url)).toBe(
      'password authentication failed for "alice" (***) at postgres://alice:***@db/agents',
    );
    expect(redactSecretsIn('timeout x=hunter22', 'postgres://db/a?password=hunter22')).toBe('timeout x=***');
  });
});

describe('machine identity', () => {
  it('creates a UUID once (0600) and keeps it; name and person from the environment', () => {
    const dir = tempDir();
    const id = machineId(dir);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(fs.statSync(path.join(dir, 'machine-id')).mode & 0o777).toBe(0o600);
    expect(machineId(dir)).toBe(id);
    expect(machineIdentity(dir, { AGENT_MONITOR_MACHINE_NAME: ' laptop-7 ', AGENT_MONITOR_PERSON: 'dana' })).toEqual({ machineId: id, machineName: 'laptop-7', person: 'dana' });
    expect(fs.readdirSync(dir)).toEqual(['machine-id']); // no temp file left behind
    expect(machineId(tempDir())).not.toBe(id);
  });

  it('refuses a machine-id file that is not a UUID, and leaves it as it was', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'machine-id'), 'not-an-id\n');
    expect(() => machineId(dir)).toThrow(`${path.join(dir, 'machine-id')} does not hold a machine id (a UUID); move it away to create a new one`);
    expect(fs.readFileSync(path.join(dir, 'machine-id'), 'utf8')).toBe('not-an-id\n');
  });
});

describe('redactUrlsIn (a message whose URL is not at hand)', () => {
  it('masks the password of every URL in the text and every password= pair, keeps the rest', () => {
    const msg = 'export to http://u:0tlp-S3cret@127.0.0.1:4318/v1/logs failed; db postgres://p:Pu5h-S3cret@h/db?sslmode=disable down; host=h password=Kw-S3cret user=me';
    const out = redactUrlsIn(msg);
    expect(out).not.toMatch(/S3cret/);
    expect(out).toBe('export to http://u:***@127.0.0.1:4318/v1/logs failed; db postgres://p:***@h/db?sslmode=disable down; host=h password=*** user=me');
    expect(redactUrlsIn('connect ECONNREFUSED 127.0.0.1:5432')).toBe('connect ECONNREFUSED 127.0.0.1:5432');
  });
});
