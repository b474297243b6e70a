#!/usr/bin/python3
"""The installed libclearplan exports its public API and nothing else.

usage: exports.py LIBCLEARPLAN.so HEADER...
Lists the functions the public headers declare (CP_API, CPK_API) and the symbols the shared
library exports (nm -D --defined-only); fails naming any exported internal symbol (a function
of engine/src, io, the planner's internals) and any public function missing from the library.
"""
import re
import subprocess
import sys

lib, headers = sys.argv[1], sys.argv[2:]
declared = set()
for h in headers:
    text = open(h, encoding="utf-8").read()
    declared |= set(re.findall(r"^CPK?_API\b[^(;]*?\b(cpk?_\w+)\s*\(", text, re.M))
out = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True,
                     check=True).stdout
exported = set()
for line in out.splitlines():
    parts = line.split()
    if len(parts) == 3 and parts[1] in "TtWwDdBbRr" and not parts[2].startswith("_"):
        exported.add(parts[2])
internal = sorted(exported - declared)
missing = sorted(declared - exported)
if internal:
    print("exported but not public:", ", ".join(internal))
if missing:
    print("public but not exported:", ", ".join(missing))
if internal or missing or not declared:
    sys.exit(1)
print(f"{len(exported)} symbols exported, all of them the public API of {len(headers)} headers")
