#!/usr/bin/env python3
"""Share of the library's public items whose doc comment holds a runnable example.

An item is a `pub fn`, `pub struct`, `pub enum`, `pub trait`, `pub const` or `pub type` in
src/ (not `pub(crate)`, not inside `#[cfg(test)]`) that a user can reach: an item in a private
module (`mod x;` or `pub(crate) mod x;`) counts only when it is re-exported by a `pub use`, and a
method there only when its type is. Public fields and variants count with their type. An item
"has an example" when its `///` block holds a fenced block that rustdoc runs (not ```text or
```ignore). Trait-method implementations (`fn` in `impl Trait for`) are not items of their own.
Doc comments may be separated from their item by attributes, including attributes that span
several lines. Cross-check: `RUSTC_BOOTSTRAP=1 cargo rustdoc -p metapool --lib -- -Z
unstable-options --output-format json` lists the reachable items rustdoc sees.
Usage: scripts/doc_coverage.py [--list]
"""
import pathlib
import re
import sys

ITEM = re.compile(r"^\s*pub (fn|struct|enum|trait|const|type|mod)\s+(\w+)")
MOD = re.compile(r"^\s*(pub(?:\(crate\))? )?mod (\w+);")
IMPL = re.compile(r"^\s*impl\b(?:<[^>]*>)?\s+(?:[\w:]+\s+for\s+)?(\$?\w+)")


def private_files(root):
    """Files of modules that are not reachable by path (some ancestor is not `pub mod`)."""
    private = set()

    def walk(path, hidden):
        if hidden:
            private.add(path)
        base = path.parent if path.name in ("mod.rs", "lib.rs") else path.with_suffix("")
        for line in path.read_text().splitlines():
            m = MOD.match(line)
            if not m:
                continue
            child = base / f"{m.group(2)}.rs"
            if not child.exists():
                child = base / m.group(2) / "mod.rs"
            if child.exists():
                walk(child, hidden or m.group(1) != "pub ")

    walk(root / "lib.rs", False)
    return private


def reexported(root):
    """Names re-exported anywhere in src/ by a `pub use` (a statement may span lines)."""
    names, text = set(), "\n".join(p.read_text() for p in root.rglob("*.rs"))
    for stmt in re.findall(r"^\s*pub use ([^;]*);", text, re.M):
        names.update(re.findall(r"(\w+)\s*(?:[,}]|$)", stmt.replace("\n", " ")))
    return names


def items(path, hidden, exported):
    lines = path.read_text().splitlines()
    doc, in_test, trait_impl_depth, depth, attr = [], False, None, 0, 0
    impl_type, impl_depth = None, None
    for line in lines:
        s = line.strip()
        if s.startswith("#[cfg(test)]"):
            in_test = True
        if in_test:
            continue
        if s.startswith("///"):
            doc.append(s[3:])
            continue
        if attr or s.startswith("#["):
            attr += line.count("[") - line.count("]")
            continue
        m = IMPL.match(line)
        if m and "{" in line:
            impl_type, impl_depth = m.group(1), depth
            if re.match(r"^\s*impl\b.*\bfor\b", line):
                trait_impl_depth = depth
        m = ITEM.match(line)
        if m and trait_impl_depth is None and m.group(1) != "mod":
            owner = impl_type if impl_depth is not None else m.group(2)
            if not hidden or owner in exported or owner.startswith("$"):  # `impl $t` in a macro
                text = "\n".join(doc)
                fences = re.findall(r"```([\w,]*)", text)
                runnable = any(f.split(",")[0] not in ("text", "ignore") for f in fences[::2])
                yield f"{path}:{m.group(2)}", runnable
        depth += line.count("{") - line.count("}")
        if trait_impl_depth is not None and depth <= trait_impl_depth:
            trait_impl_depth = None
        if impl_depth is not None and depth <= impl_depth:
            impl_type, impl_depth = None, None
        doc = []


def main():
    root = pathlib.Path(__file__).resolve().parent.parent / "src"
    private, exported = private_files(root), reexported(root)
    found = [it for p in sorted(root.rglob("*.rs")) for it in items(p, p in private, exported)]
    with_ex = [n for n, r in found if r]
    if "--list" in sys.argv:
        for n, r in found:
            if not r:
                print("no example:", n)
    print(f"{len(with_ex)} of {len(found)} public items have a runnable example "
          f"({100 * len(with_ex) / len(found):.0f}%)")


main()
