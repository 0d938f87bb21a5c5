#!/usr/bin/python3
"""Check that test/seeds/seedNNN.py faithfully contain the vendor tutorials' code.

Usage:  /usr/bin/python3 test/seeds/check_extract.py [SEEDS_DIR]
        (SEEDS_DIR defaults to $RAMPART_SEEDS_DIR, else ../shared/seeds beside the repository)

For each seed NNN in SEEDS it re-reads SEEDS_DIR/NNN_*.txt, extracts the code
lines on its own (independently of how the scripts were produced), and checks
the script test/seeds/seedNNN.py:

  1. every non-blank code line of the seed appears, in the same order, in the
     script (comparison on stripped lines), except the three parameter lines
     `use_application_id = YOUR_APPLICATION_ID`, `use_api_key = YOUR_API_KEY`,
     `use_url_base = YOUR_SERVER_URL`;
  2. strict: once the header comment, the PyJWT/urllib3 shim, the added
     `import requests` / `import os` lines (with their `# added:` comments),
     the three environment-variable reads and blank lines are set aside, what
     remains is exactly the seed's code lines, in order, byte-for-byte after
     removing each block's common indent (so no other line was changed/added);
  3. the three parameter lines were replaced by reads of RAMPART_APEX_APP_ID,
     RAMPART_APEX_API_KEY, RAMPART_URL under the same variable names, the shim
     is present verbatim before the seed's code, and `import requests` is there;
  4. the script compiles (compile() in memory; no __pycache__ written).

How code is told apart from prose in a seed .txt: a block is a run of lines
indented by 4+ spaces (whitespace-only lines continue a block; an empty line
or a less-indented line such as "  2. Perform error handling" ends it; a lone
"Note:" / "Important:" line ends it too). A block is code when, with its
common indent removed, it parses as Python and contains an import, a def or a
call. That leaves out prose, table cells (`Parameter`, `AllowUpdateFromOtherAU
= 1`) and example output (`200`, JSON) - none of which contain a call - and
the parameter block (no call), which is handled separately.

Exits 0 when all seeds pass, 1 otherwise, listing what is missing or extra.
"""
import ast
import glob
import os
import re
import sys
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = ('000', '001', '002')

PARAMS = {
    # seed line                                    -> required script line
    'use_application_id = YOUR_APPLICATION_ID': "use_application_id = os.environ['RAMPART_APEX_APP_ID']",
    'use_api_key = YOUR_API_KEY': "use_api_key = os.environ['RAMPART_APEX_API_KEY']",
    'use_url_base = YOUR_SERVER_URL': "use_url_base = os.environ['RAMPART_URL']",
}

SHIM = """# --- Rampart shim: PyJWT 2 returns str where the tutorial (PyJWT 1) expects bytes.
import jwt as _jwt
_orig_encode = _jwt.encode
def _encode_bytes(*a, **k):
    t = _orig_encode(*a, **k)
    return t.encode('utf-8') if isinstance(t, str) else t
_jwt.encode = _encode_bytes
# also silence urllib3's InsecureRequestWarning noise about verify=False
import urllib3; urllib3.disable_warnings()
# --- end shim""".split('\n')

REQUESTS_COMMENT = '# added: the tutorial uses requests without importing it'
ALLOWED_ADDED = {'import requests', 'import os'}

PROSE_MARKER = re.compile(r'^(Note|Important):$')


def seed_blocks(text):
    """Yield (first_line_no, [(line_no, raw_line), ...]) for every indented block."""
    blocks, cur = [], []

    def close():
        if cur and any(l.strip() for _, l in cur):
            blocks.append(list(cur))
        cur.clear()

    for no, line in enumerate(text.split('\n'), 1):
        if PROSE_MARKER.match(line.strip()):
            close()
        elif line.startswith('    ') or (line != '' and line.strip() == ''):
            cur.append((no, line))
        else:
            close()
    close()
    return blocks


def dedent_block(block):
    """Remove the block's common indent (computed over non-blank lines), keep the rest."""
    ind = min(len(l) - len(l.lstrip(' ')) for _, l in block if l.strip())
    return [(no, l[ind:] if l.strip() else l[min(ind, len(l)):]) for no, l in block]


def is_code(lines):
    src = '\n'.join(l for _, l in lines)
    try:
        tree = ast.parse(textwrap.dedent(src))
    except SyntaxError:
        return False
    return any(isinstance(n, (ast.Call, ast.Import, ast.ImportFrom, ast.FunctionDef))
               for n in ast.walk(tree))


def extract(seed_path):
    """Return (code_lines, param_lines, ranges): code_lines = [(seed_line_no, text)]."""
    with open(seed_path, encoding='utf-8') as f:
        text = f.read()
    code, params, ranges = [], [], []
    for block in seed_blocks(text):
        lines = dedent_block(block)
        stripped = [l.strip() for _, l in lines if l.strip()]
        if stripped and all(s in PARAMS for s in stripped):
            params.extend(stripped)
            continue
        if not is_code(lines):
            continue
        ranges.append((lines[0][0], lines[-1][0]))
        code.extend((no, l) for no, l in lines if l.strip())
    return code, params, ranges


def check(seed, seeds_dir):
    errors = []
    matches = glob.glob(os.path.join(seeds_dir, seed + '_*.txt'))
    if len(matches) != 1:
        return ['expected exactly one %s_*.txt in %s, found %d' % (seed, seeds_dir, len(matches))], []
    seed_path = matches[0]
    script_path = os.path.join(HERE, 'seed%s.py' % seed)
    if not os.path.exists(script_path):
        return ['missing script %s' % script_path], []
    code, params, ranges = extract(seed_path)
    with open(script_path, encoding='utf-8') as f:
        script_src = f.read()
    script = script_src.split('\n')
    sstrip = [l.strip() for l in script]

    if not code:
        errors.append('no code extracted from %s (extraction heuristic broken?)' % seed_path)

    # 1. ordered subsequence on stripped lines
    missing, pos = [], 0
    for no, line in code:
        want = line.strip()
        try:
            pos = sstrip.index(want, pos) + 1
        except ValueError:
            missing.append((no, line))
    for no, line in missing:
        errors.append('missing (or out of order): seed line %d: %s' % (no, line.strip()))

    # 3. parameters, shim, requests import
    if sorted(params) != sorted(PARAMS):
        errors.append('seed parameter lines not found as expected: %r' % params)
    for p in params:
        if PARAMS[p] not in script:
            errors.append('parameter line %r not replaced by %r' % (p, PARAMS[p]))
    first_seed_line = None
    if code:
        try:
            first_seed_line = script.index(code[0][1])
        except ValueError:
            pass
    shim_at = None
    for i in range(len(script) - len(SHIM) + 1):
        if script[i:i + len(SHIM)] == SHIM:
            shim_at = i
            break
    if shim_at is None:
        errors.append('Rampart shim block not found verbatim')
    elif first_seed_line is not None and shim_at > first_seed_line:
        errors.append('Rampart shim must come before the seed code')
    seed_imports_requests = any(l.strip() == 'import requests' for _, l in code)
    if not seed_imports_requests:
        try:
            i = script.index('import requests')
            if script[i - 1] != REQUESTS_COMMENT:
                errors.append('added `import requests` lacks the comment %r' % REQUESTS_COMMENT)
            if first_seed_line is not None and i > first_seed_line:
                errors.append('added `import requests` must be at the top, before the seed code')
        except ValueError:
            errors.append('`import requests` missing (the seed uses requests without importing it)')

    # 2. strict: nothing else added or changed
    rest, i = [], 0
    while i < len(script) and script[i].startswith('#'):   # header comment
        i += 1
    body = script[i:]
    if shim_at is not None:
        body = script[i:shim_at] + script[shim_at + len(SHIM):]
    for l in body:
        if not l.strip() or l in ALLOWED_ADDED or l.startswith('# added:') or l in PARAMS.values():
            continue
        rest.append(l)
    want = [l for _, l in code]
    if rest != want:
        for k, (a, b) in enumerate(zip(rest, want)):
            if a != b:
                errors.append('strict: first difference at seed line %d: script has %r, seed has %r'
                              % (code[k][0], a, b))
                break
        else:
            if len(rest) > len(want):
                errors.append('strict: extra lines at end of script: %r' % rest[len(want):][:5])
            else:
                errors.append('strict: script ends early; seed line %d onward missing' % code[len(rest)][0])

    # 4. compiles
    try:
        compile(script_src, script_path, 'exec')
    except SyntaxError as e:
        errors.append('does not compile: %s' % e)

    return errors, ranges


def main():
    seeds_dir = (sys.argv[1] if len(sys.argv) > 1
                 else os.environ.get('RAMPART_SEEDS_DIR', os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'shared', 'seeds')))
    failed = False
    for seed in SEEDS:
        errors, ranges = check(seed, seeds_dir)
        blocks = ', '.join('%d-%d' % r for r in ranges)
        if errors:
            failed = True
            print('FAIL seed%s.py (%d problem(s)); code blocks at seed lines: %s' % (seed, len(errors), blocks))
            for e in errors:
                print('  - ' + e)
        else:
            print('ok   seed%s.py; code blocks at seed lines: %s' % (seed, blocks))
    if failed:
        print('check_extract: FAILED', file=sys.stderr)
        return 1
    print('check_extract: all seeds ok')
    return 0


if __name__ == '__main__':
    sys.exit(main())
