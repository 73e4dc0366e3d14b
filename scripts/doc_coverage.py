#!/usr/bin/env python3
"""Share of the library's public items whose doc comment holds a runnable example.

An item is a `pub fn`, `pub struct`, `pub enum`, `pub trait`, `pub const` or `pub type` in
src/ (not `pub(crate)`, not inside `#[cfg(test)]`), and a public variant counts with its
enum. It "has an example" when its `///` block holds a fenced block that is not ```text
(rustdoc runs those). Trait-method implementations (`fn` in `impl Trait for`) are not items
of their own. Usage: scripts/doc_coverage.py [--list]
"""
import pathlib
import re
import sys

ITEM = re.compile(r"^\s*pub (fn|struct|enum|trait|const|type|mod)\s+(\w+)")


def items(path):
    lines = path.read_text().splitlines()
    doc, in_test, trait_impl_depth, depth = [], False, None, 0
    for line in lines:
        s = line.strip()
        if s.startswith("#[cfg(test)]"):
            in_test = True
        if in_test:
            continue
        if s.startswith("///"):
            doc.append(s[3:])
            continue
        if re.match(r"^\s*impl\b.*\bfor\b", line) and "{" in line:
            trait_impl_depth = depth
        m = ITEM.match(line)
        if m and trait_impl_depth is None and m.group(1) != "mod":
            text = "\n".join(doc)
            fences = re.findall(r"```(\w*)", text)
            runnable = any(f not in ("text",) for f in fences[::2])
            yield f"{path}:{m.group(2)}", runnable
        depth += line.count("{") - line.count("}")
        if trait_impl_depth is not None and depth <= trait_impl_depth:
            trait_impl_depth = None
        if not s.startswith("#["):
            doc = []


def main():
    root = pathlib.Path(__file__).resolve().parent.parent / "src"
    found = [it for p in sorted(root.rglob("*.rs")) for it in items(p)]
    with_ex = [n for n, r in found if r]
    if "--list" in sys.argv:
        for n, r in found:
            if not r:
                print("no example:", n)
    print(f"{len(with_ex)} of {len(found)} public items have a runnable example "
          f"({100 * len(with_ex) / len(found):.0f}%)")


main()
