#!/usr/bin/python3
"""The layers of the code, as DESIGN §3 draws them, checked on the includes:

    cli -> engine (engine/src) -> io (engine/io) -> kernels,  and the planner (engine/planner)

- every local include ("x.h") of a file resolves to a header of its own layer or of a layer
  below it (never above: io includes no engine/src header, the planner no io or engine one,
  the kernels nothing of clearplan's but their own);
- the local includes form no cycle.

usage: layers.py SOURCE_DIR
Prints the layer of each header and fails naming the file and the include that breaks a rule.
"""
import os
import re
import sys

root = sys.argv[1]
LAYERS = [  # top down; a layer may include its own headers and those of the layers below
    ("cli", "engine/cli"),
    ("engine", "engine/src"),
    ("io", "engine/io"),
    ("planner", "engine/planner"),
    ("kernels", "kernels/src"),
]
RANK = {name: i for i, (name, _) in enumerate(LAYERS)}
KERNEL_HEADERS = "kernels/include"  # cpk/*.h: the kernels' public headers

headers = {}  # name as included ("engine.h", "cpk/edt.h") -> (layer, path)
files = []
for name, d in LAYERS:
    for f in sorted(os.listdir(os.path.join(root, d))):
        if f.endswith((".c", ".h")):
            path = os.path.join(d, f)
            files.append((name, path))
            if f.endswith(".h"):
                if f in headers:
                    sys.exit(f"{path}: the header name {f} is used by two layers")
                headers[f] = (name, path)
for f in sorted(os.listdir(os.path.join(root, KERNEL_HEADERS, "cpk"))):
    headers["cpk/" + f] = ("kernels", os.path.join(KERNEL_HEADERS, "cpk", f))
    files.append(("kernels", os.path.join(KERNEL_HEADERS, "cpk", f)))

inc = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
edges = {}
errors = []
for layer, path in files:
    text = open(os.path.join(root, path), encoding="utf-8").read()
    deps = []
    for name in inc.findall(text):
        if name not in headers:
            errors.append(f"{path}: includes \"{name}\", which is no header of a layer")
            continue
        target_layer, target = headers[name]
        if RANK[target_layer] < RANK[layer]:
            errors.append(f"{path} ({layer}) includes {target} ({target_layer}): a layer above it")
        deps.append(target)
    edges[path] = deps

# cycles among the headers (a .c file is a leaf)
state = {}


def visit(node, stack):
    state[node] = 1
    for nxt in edges.get(node, []):
        if state.get(nxt) == 1:
            cyc = stack[stack.index(nxt):] + [nxt]
            errors.append("include cycle: " + " -> ".join(cyc))
        elif state.get(nxt) is None:
            visit(nxt, stack + [nxt])
    state[node] = 2


for path in edges:
    if path.endswith(".h") and state.get(path) is None:
        visit(path, [path])

if errors:
    print("\n".join(errors))
    sys.exit(1)
count = {name: sum(1 for l, _ in files if l == name) for name, _ in LAYERS}
print("layers ok: " + ", ".join(f"{k} {v} files" for k, v in count.items()))
