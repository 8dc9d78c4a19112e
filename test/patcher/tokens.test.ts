import { describe, expect, it } from 'vitest';
import { diffLines, hashTokens, parseFile, renderDiff, tokenStreamSha256 } from '../../src/patcher/index.js';

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
    { name: 'trailing comma in the parameters', variant: `const x = db.transaction((a, b,) => { return a + b; },);`, same: true },
    { name: 'a comma that is not trailing removed', variant: `const x = db.transaction((a b) => { return a + b; });`, same: false },
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

  it('keywords and names of the same text hash alike (acorn labels them by context)', () => {
    const src = 'p.finally(() => m.delete(k)).catch(f); x = { default: 1, new: 2 };';
    // Inside a parsed file acorn labels finally/delete/catch/default/new as names; alone, as keywords.
    const { tokens } = parseFile(src, 'x.js');
    expect(tokens.filter((t) => t.type.label === 'name').map((t) => src.slice(t.start, t.end))).toContain('finally');
    expect(hashTokens(tokens, src, 0, src.length)).toBe(whole(src));
    // But a keyword is still not a string, and a different word is still different.
    expect(whole('x = { default: 1 }')).not.toBe(whole("x = { 'default': 1 }"));
    expect(whole('p.finally(f)')).not.toBe(whole('p.then(f)'));
  });

  it('trailing commas before ) ] } do not count; elisions in arrays do', () => {
    expect(whole('f(a, [1, 2,], { b: 1, },)')).toBe(whole('f(a, [1, 2], { b: 1 })'));
    expect(whole('x = [a, , ]')).not.toBe(whole('x = [a, ]'));
  });

  it('JSX tag names are words and `<` is the same token in either context', () => {
    const dialect = { sourceType: 'module', syntax: 'jsx' } as const;
    const src = 'const a = <div className="x">{a < b}</div>;';
    const { tokens } = parseFile(src, 'x.jsx');
    expect(hashTokens(tokens, src, 0, src.length)).toBe(tokenStreamSha256(src, 0, src.length, dialect));
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

describe('renderDiff on real-sized anchors', () => {
  const big = Array.from({ length: 4465 }, (_, i) => `  stmt${i}(data, ${i});`);

  it('a one-line change in a 4,465-line anchor: one hunk, upstream line numbers, fast', () => {
    const after = [...big];
    after[3000] = '  stmt3000(data, 3000, { changed: true });';
    const started = process.hrtime.bigint();
    const out = renderDiff(big.join('\n'), after.join('\n'), { afterLine: 332 });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    expect(out).toBe(
      [
        '    @@ -2999,5 +3330,5 @@',
        '      stmt2998(data, 2998);',
        '      stmt2999(data, 2999);',
        '    - stmt3000(data, 3000);',
        '    + stmt3000(data, 3000, { changed: true });',
        '      stmt3001(data, 3001);',
        '      stmt3002(data, 3002);',
      ].join('\n'),
    );
    expect(ms).toBeLessThan(500);
  });

  it('a wholesale rewrite is bounded: past the edit-distance cap it is one replaced block', () => {
    const other = big.map((l) => l.replace('stmt', 'call'));
    const started = process.hrtime.bigint();
    const lines = diffLines(big, other, 100);
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(1000);
    expect(lines.filter((l) => l.op === '-')).toHaveLength(big.length);
    expect(lines.filter((l) => l.op === '+')).toHaveLength(big.length);
  });

  it('finds a minimal diff below the cap', () => {
    const a = ['a', 'b', 'c', 'd', 'e', 'f'];
    const b = ['a', 'x', 'c', 'd', 'f', 'g'];
    const ops = diffLines(a, b);
    expect(ops.filter((l) => l.op === ' ').map((l) => l.text)).toEqual(['a', 'c', 'd', 'f']);
  });

  it('cuts a multi-kilobyte line to the region that changed', () => {
    const long = `const SQL = '${'SELECT col, '.repeat(400)}x FROM t';`;
    const changed = long.replace('SELECT col, SELECT col, x FROM', 'SELECT col, SELECT col, y FROM');
    const out = renderDiff(`a\n${long}\nb`, `a\n${changed}\nb`);
    const [minus, plus] = out.split('\n').filter((l) => /^ {4}[-+] /.test(l));
    expect(minus!.length).toBeLessThan(260);
    expect(plus!.length).toBeLessThan(260);
    expect(minus).toContain('x FROM');
    expect(plus).toContain('y FROM');
    expect(minus).toMatch(/^ {4}- …/);
    // A change in the middle of a long line is cut on both sides, with the line's length.
    const cut = renderDiff(long, `${long.slice(0, 2400)}CHANGED${long.slice(2400)}`);
    expect(cut).toMatch(/… \(\d+ chars\)$/m);
  });
});
