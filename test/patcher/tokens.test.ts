import { describe, expect, it } from 'vitest';
import { renderDiff, tokenStreamSha256 } from '../../src/patcher/index.js';

const whole = (src: string): string => tokenStreamSha256(src, 0, src.length);

describe('tokenStreamSha256', () => {
  const base = `const x = db.transaction((a, b) => { return a + b; });`;

  // Each case: a variant of `base` and whether it must hash the same.
  const cases: Array<{ name: string; variant: string; same: boolean }> = [
    { name: 'extra whitespace and newlines', variant: `const x = db.transaction(\n  (a, b) => {\n    return a + b;\n  }\n);`, same: true },
    { name: 'line comment', variant: `const x = db.transaction((a, b) => { // sum\n return a + b; });`, same: true },
    { name: 'block comment', variant: `const x = /* tx */ db.transaction((a, b) => { return a + b; });`, same: true },
    { name: 'quote style of a string', variant: `const x = db.transaction((a, b) => { return a + "b"; });`, same: false },
    { name: 'operator changed', variant: `const x = db.transaction((a, b) => { return a - b; });`, same: false },
    { name: 'identifier renamed', variant: `const x = db.transaction((a, c) => { return a + c; });`, same: false },
    { name: 'statement added', variant: `const x = db.transaction((a, b) => { log(a); return a + b; });`, same: false },
    { name: 'name vs string of the same text', variant: `const x = db.transaction((a, b) => { return a + 'b'; });`, same: false },
    { name: 'number changed', variant: `const x = db.transaction((a, b) => { return a + b + 1; });`, same: false },
  ];

  it.each(cases)('$name → same hash: $same', ({ variant, same }) => {
    expect(whole(variant) === whole(base)).toBe(same);
  });

  it("single and double quotes of the same string are cosmetic", () => {
    expect(whole(`f('a')`)).toBe(whole(`f("a")`));
  });

  it('hashes only the tokens inside the range', () => {
    const src = `foo(); const y = 1; bar();`;
    const start = src.indexOf('const');
    const end = src.indexOf('bar');
    expect(tokenStreamSha256(src, start, end)).toBe(whole(`const y = 1;`));
    expect(tokenStreamSha256(src, start, end)).not.toBe(whole(src));
  });

  it('handles regex, template and bigint tokens', () => {
    expect(whole('x = /a+/g.test(`t${1n}`)')).toBe(whole('x = /a+/g.test( `t${1n}` )'));
    expect(whole('x = /a+/g')).not.toBe(whole('x = /a+/i'));
    expect(whole('x = `a${b}c`')).not.toBe(whole('x = `a${b}d`'));
  });

  it('is a 64-char lowercase hex digest', () => {
    expect(whole('a')).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('renderDiff', () => {
  const cases: Array<{ name: string; before: string; after: string; expected: string }> = [
    { name: 'equal', before: 'a\nb', after: 'a\nb', expected: '' },
    { name: 'one line changed', before: 'a\nb\nc', after: 'a\nB\nc', expected: '    @@ -1,3 +1,3 @@\n      a\n    - b\n    + B\n      c' },
    {
      name: 're-indented body compares equal',
      before: 'f(() => {\n  x();\n})',
      after: 'f(() => {\n      x();\n    })',
      expected: '',
    },
    {
      name: 'distant unchanged lines are elided',
      before: ['1', '2', '3', '4', '5', '6', '7'].join('\n'),
      after: ['1', '2', '3', '4', '5', '6', 'seven'].join('\n'),
      expected: '    @@ -5,3 +5,3 @@\n      5\n      6\n    - 7\n    + seven',
    },
  ];
  it.each(cases)('$name', ({ before, after, expected }) => {
    expect(renderDiff(before, after)).toBe(expected);
  });
});
