#!/usr/bin/python3
"""Compiles the examples of the public headers, so that the manual cannot drift from the code.

usage: header_examples.py CC OUT_DIR HEADER... -- CFLAGS...

An example is the block of comment lines indented by four spaces (" *     code") that follows
a line "Example:" and a blank comment line, up to the next line that is not indented so.
Each becomes the body of a function in OUT_DIR/header_examples.c, which includes every
header, and the file is compiled with -Werror (unused results allowed). Fails when a header
named here has no example, or when one does not compile.
"""
import os
import re
import subprocess
import sys

args = sys.argv[1:]
sep = args.index("--")
cc, out_dir, headers, cflags = args[0], args[1], args[2:sep], args[sep + 1:]
blocks = []
for h in headers:
    lines = open(h, encoding="utf-8").read().split("\n")
    found = 0
    i = 0
    while i < len(lines):
        if lines[i].rstrip().endswith("Example:") and lines[i].lstrip().startswith("*"):
            i += 1
            while i < len(lines) and lines[i].strip() == "*":
                i += 1
            code = []
            while i < len(lines) and (lines[i].startswith(" *     ") or
                                      (lines[i].strip() == "*" and i + 1 < len(lines) and
                                       lines[i + 1].startswith(" *     "))):
                code.append(lines[i][7:] if lines[i].startswith(" *     ") else "")
                i += 1
            if not code:
                sys.exit(f"{h}:{i}: an 'Example:' without code under it")
            blocks.append((h, code))
            found += 1
        i += 1
    if not found:
        sys.exit(f"{h}: no example (a line 'Example:' followed by code indented 4 spaces)")

os.makedirs(out_dir, exist_ok=True)
src = os.path.join(out_dir, "header_examples.c")
with open(src, "w") as f:
    f.write("#include <stdio.h>\n#include <stdlib.h>\n")
    for h in headers:
        inc = re.sub(r".*/include/", "", h)
        f.write(f"#include <{inc}>\n")
    for k, (h, code) in enumerate(blocks):
        f.write(f"\n/* {h} */\nvoid example_{k}(void);\nvoid example_{k}(void) {{\n")
        f.write("\n".join("    " + c if c else "" for c in code))
        f.write("\n}\n")
r = subprocess.run([cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-Wno-unused-variable",
                    "-Wno-unused-but-set-variable", "-fsyntax-only", *cflags, src],
                   capture_output=True, text=True)
sys.stdout.write(r.stdout + r.stderr)
if r.returncode:
    sys.exit(f"the examples of the public headers do not compile (see {src})")
print(f"{len(blocks)} examples from {len(headers)} headers compile")
