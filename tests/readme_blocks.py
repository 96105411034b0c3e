#!/usr/bin/python3
"""readme_blocks.py [README] - the README's blocks marked for testing, as
JSON: a list of {"kind", "arg", "line", "text"}, in the README's order.

A marked block is a fenced code block right after an HTML comment:

    <!-- test: KIND [ARG] -->
    ```
    ...
    ```

Kinds (tests/integration/t_package.sh runs them in the installed package's
root, in order, as an admin pasting them would):
  sh            shell commands, run as root in that root
  file PATH     the new contents of PATH
  append PATH   lines added to PATH
  postfix       main.cf changes (postconf) and a Postfix reload
  conf          a complete relayguard.conf: "relayguard -n" must pass
  conf-add      lines added to the quick start's relayguard.conf: the
                result must pass "relayguard -n"
A marker without a block after it, or an unknown kind, is an error (exit
1), so a marked block cannot silently drop out of the test.
"""
import json
import re
import sys

KINDS = {"sh": 0, "file": 1, "append": 1, "postfix": 0, "conf": 0,
         "conf-add": 0}


def blocks(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    out = []
    i = 0
    while i < len(lines):
        m = re.match(r"^<!-- test: (\S+)(?: (\S+))? -->$", lines[i])
        if not m:
            i += 1
            continue
        kind, arg = m.group(1), m.group(2)
        where = "%s:%d" % (path, i + 1)
        if kind not in KINDS or (arg is not None) != bool(KINDS[kind]):
            raise SystemExit("%s: bad marker: %s" % (where, lines[i]))
        j = i + 1
        while j < len(lines) and lines[j].strip() == "":
            j += 1
        if j >= len(lines) or not lines[j].startswith("```"):
            raise SystemExit("%s: marker without a code block" % where)
        k = j + 1
        while k < len(lines) and not lines[k].startswith("```"):
            k += 1
        if k >= len(lines):
            raise SystemExit("%s: code block not closed" % where)
        out.append({"kind": kind, "arg": arg, "line": i + 1,
                    "text": "\n".join(lines[j + 1:k]) + "\n"})
        i = k + 1
    return out


if __name__ == "__main__":
    print(json.dumps(blocks(sys.argv[1] if len(sys.argv) > 1
                            else "README.md"), indent=1))
