#!/usr/bin/env python3
"""Finds import loops between the files of src/: files that reach each other through `use`
lines and `crate::`/`super::`/`self::` paths. Declaring a child module (`pub mod x;`) is not an
import; naming an item of another file is. Prints each loop with the names that tie it and
exits 1 if there is any; exits 0 with "no import loops" otherwise.

Usage: scripts/import-loops.py [SRC_DIR]   (default: src)
"""

import os
import re
import sys

src = sys.argv[1] if len(sys.argv) > 1 else "src"


def module_of(path):
    """src/server/auth/mod.rs -> ('server', 'auth'); src/lib.rs -> ()."""
    rel = os.path.relpath(path, src)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib", "main"):
        rel = rel[:-1]
    return tuple(rel)


files = {}
for root, _, names in os.walk(src):
    for name in names:
        if name.endswith(".rs"):
            path = os.path.join(root, name)
            if path.endswith(os.path.join(src, "main.rs")):
                continue  # the binary is its own crate
            files[module_of(path)] = path


def strip(text):
    """Removes comments, strings and #[cfg(test)] modules (tests may reach anywhere)."""
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r'\br(#*)"(?:.|\n)*?"\1', '""', text)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    match = re.search(r"#\[cfg\(test\)\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+\w+\s*\{", text)
    if match:
        text = text[: match.start()]
    return text


def resolve(module, segments):
    """The file a path names: the longest prefix that is a module file."""
    for end in range(len(segments), -1, -1):
        candidate = tuple(segments[:end])
        if candidate in files:
            rest = segments[end:]
            return candidate, (rest[0] if rest else "")
    return None, ""


def absolute(module, is_mod_file, path):
    parts = path.split("::")
    if parts[0] == "crate":
        return parts[1:]
    # A path from a child module of this one (`projects::refs` in server/mod.rs).
    if tuple(module) + (parts[0],) in files:
        return list(module) + parts
    base = list(module)
    if parts[0] == "self":
        return base + parts[1:]
    if parts[0] == "super":
        while parts and parts[0] == "super":
            base = base[:-1]
            parts = parts[1:]
        return base + parts
    return None


PATH = re.compile(r"(?<![A-Za-z0-9_:])((?:[A-Za-z_][A-Za-z0-9_]*)(?:::[A-Za-z_][A-Za-z0-9_]*)+)")
USE = re.compile(r"\buse\s+([A-Za-z_][^;]*::[^;]+);", re.S)

edges = {}
for module, path in files.items():
    with open(path, encoding="utf-8") as handle:
        text = strip(handle.read())
    is_mod_file = path.endswith(("mod.rs", "lib.rs"))
    found = []
    # `use a::{b, c::d}` lists: expand one level of braces.
    for use in USE.findall(text):
        use = re.sub(r"\s+", "", use)
        match = re.match(r"(.*?)::\{(.*)\}$", use)
        if match:
            head, body = match.groups()
            depth, item, items = 0, "", []
            for ch in body:
                if ch == "," and depth == 0:
                    items.append(item)
                    item = ""
                    continue
                depth += ch == "{"
                depth -= ch == "}"
                item += ch
            items.append(item)
            for item in items:
                item = re.sub(r"\{.*", "", item).split(" as ")[0].rstrip(":")
                if item and item != "self":
                    found.append(head + "::" + item)
                elif item == "self":
                    found.append(head)
        else:
            found.append(use.split(" as ")[0])
    found.extend(PATH.findall(text))
    for reference in found:
        segments = absolute(module, is_mod_file, reference)
        if segments is None:
            continue
        target, name = resolve(module, [s for s in segments if s])
        if target is None or target == module:
            continue
        # A child module named from its parent's file is a declaration, not an import,
        # when nothing inside it is named.
        if not name and target[:-1] == module:
            continue
        edges.setdefault(module, {}).setdefault(target, set()).add(name or "(module)")


# Tarjan's strongly connected components.
index, low, stack, on_stack, components = {}, {}, [], set(), []
counter = [0]


def visit(node):
    index[node] = low[node] = counter[0]
    counter[0] += 1
    stack.append(node)
    on_stack.add(node)
    for nxt in edges.get(node, {}):
        if nxt not in index:
            visit(nxt)
            low[node] = min(low[node], low[nxt])
        elif nxt in on_stack:
            low[node] = min(low[node], index[nxt])
    if low[node] == index[node]:
        component = []
        while True:
            top = stack.pop()
            on_stack.discard(top)
            component.append(top)
            if top == node:
                break
        if len(component) > 1:
            components.append(component)


sys.setrecursionlimit(10000)
for node in sorted(files):
    if node not in index:
        visit(node)

if not components:
    print(f"no import loops among {len(files)} files of {src}/")
    sys.exit(0)
for i, component in enumerate(components, 1):
    members = set(component)
    print(f"loop {i}: {len(component)} files")
    for module in sorted(component):
        for target, names in sorted(edges.get(module, {}).items()):
            if target in members:
                print(f"  {files[module]} -> {files[target]}: {', '.join(sorted(names))}")
sys.exit(1)
