#!/usr/bin/env python3
"""Fails when code takes a shape that GCC 12's coroutine lowering miscompiles.

GCC 12 destroys some temporaries of a co_await expression twice, or copies them into the frame
bit for bit (a std::string member then frees a pointer into another object: `munmap_chunk():
invalid pointer`, `double free`). Two shapes crashed `janus inspect --connect`:

1. A defaulted parameter of class type of a coroutine (the default argument is such a temporary
   whenever a coroutine calls it). The rule is wider than the bug so that it needs no type
   information: no function whose return type is a coroutine type (one that declares a
   promise_type) and no function whose body uses co_await, co_return or co_yield may have a
   defaulted parameter, unless the parameter's type is plainly a scalar (a built-in arithmetic
   type, a pointer, or an enum declared in the scanned sources). Write an overload instead:
       task<T> f(deadline d);  task<T> f() { return f(seconds(10)); }
2. Inside a co_await expression: a conditional operator whose branches are more than names,
   literals and arithmetic (`co_await f(x ? "a" + s : s)`), or a braced temporary of a struct of
   the scanned sources that owns a member with a destructor (`co_await f(options{.name = n})`).
   Build the value in a statement of its own and pass it in (rule 7 in runtime/janus/rt/actor.hpp).

Usage: coroutine_hazards.py [PATH...]   (default: the project's source folders)
Exit status: 0 clean, 1 violations found (one line each: file:line: message), 2 usage error.
"""
import os
import re
import sys

SOURCE_DIRS = ["runtime", "protocol", "domains", "client", "examples", "tests", "bench", "fuzz"]
SUFFIXES = (".hpp", ".cpp", ".h", ".cc", ".ipp")
SCALARS = {
    "bool", "char", "wchar_t", "char8_t", "char16_t", "char32_t", "short", "int", "long", "signed",
    "unsigned", "float", "double", "size_t", "ptrdiff_t", "intptr_t", "uintptr_t", "auto",
    "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t",
    "nullptr_t",
}
QUALIFIERS = {"const", "volatile", "constexpr", "std", "::"}


def strip_comments_and_strings(text):
    """Blanks comments, string and character literals (keeping newlines, so lines still count)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("".join(ch if ch == "\n" else " " for ch in text[i:j]))
            i = j
        elif c == 'R' and text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'R"([^(\s]{0,16})\(', text[i:])
            if not m:
                out.append(c)
                i += 1
                continue
            end = text.find(")" + m.group(1) + '"', i)
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append('""' + "".join("\n" for ch in text[i:j] if ch == "\n"))
            i = j
        elif c in "\"'":
            if c == "'" and i > 0 and text[i - 1].isalnum():  # digit separator 1'000
                out.append(" ")
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * (min(j, n) - i - 1) + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def matching(text, i, open_c, close_c):
    """Index just past the bracket that closes the one at text[i], or -1."""
    depth = 0
    for j in range(i, len(text)):
        if text[j] == open_c:
            depth += 1
        elif text[j] == close_c:
            depth -= 1
            if depth == 0:
                return j + 1
    return -1


def split_top_level(params):
    parts, depth, start = [], 0, 0
    for j, c in enumerate(params):
        if c in "(<[{":
            depth += 1
        elif c in ")>]}":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(params[start:j])
            start = j + 1
    parts.append(params[start:])
    return [p for p in parts if p.strip()]


def default_of(param):
    """(declaration, default) of a parameter, or None when it has no default."""
    depth = 0
    for j, c in enumerate(param):
        if c in "(<[{":
            depth += 1
        elif c in ")>]}":
            depth -= 1
        elif c == "=" and depth == 0 and param[j + 1:j + 2] != "=" and param[j - 1:j] not in ("=", "!", "<", ">"):
            return param[:j].strip(), param[j + 1:].strip()
    return None


def is_scalar(declaration, enums):
    if "*" in declaration:
        return True
    if "<" in declaration or "&" in declaration:
        return False
    # Qualified names count by their last part: rt::overflow is the enum overflow.
    words = re.findall(r"(?:[A-Za-z_]\w*\s*::\s*)*([A-Za-z_]\w*)", declaration)
    names = [w for w in words if w not in QUALIFIERS]
    if len(names) >= 2:
        names = names[:-1]  # the parameter's own name
    return bool(names) and all(w in SCALARS or w in enums for w in names)


def scan(files, context_files=()):
    """Findings in `files`; coroutine types and enums are learnt from `context_files` too."""
    texts, context = {}, {}
    for path in list(files) + [p for p in context_files if p not in files]:
        with open(path, encoding="utf-8", errors="replace") as f:
            (texts if path in files else context)[path] = strip_comments_and_strings(f.read())
    enums = set()
    coroutine_types = set()
    for text in list(texts.values()) + list(context.values()):
        enums.update(re.findall(r"\benum\s+(?:class\s+|struct\s+)?([A-Za-z_]\w*)", text))
        for m in re.finditer(r"\b(?:(?:struct|class)\s+promise_type\b|using\s+promise_type\b)", text):
            # The class around this promise_type: the innermost unclosed brace before it.
            depth, j = 0, m.start()
            while j > 0:
                j -= 1
                if text[j] == "}":
                    depth += 1
                elif text[j] == "{":
                    if depth == 0:
                        break
                    depth -= 1
            head = text[max(text.rfind(";", 0, j), text.rfind("}", 0, j), text.rfind("{", 0, j)) + 1:j]
            names = re.findall(r"\b(?:struct|class)\s+(?:\[\[[^\]]*\]\]\s*)*([A-Za-z_]\w*)", head)
            if names:
                coroutine_types.add(names[-1])
    owning = owning_structs(list(texts.values()) + list(context.values()))
    coroutine_re = re.compile(r"\b(?:%s)\b" % "|".join(sorted(coroutine_types))) if coroutine_types else None

    findings = []
    for path, text in texts.items():
        # Every parameter list: "name(" not preceded by an operator-ish character.
        for m in re.finditer(r"([A-Za-z_~][\w:]*)\s*\(", text):
            name = m.group(1)
            if name in {"if", "for", "while", "switch", "return", "sizeof", "decltype", "alignof",
                        "static_assert", "co_return", "co_await", "noexcept", "requires", "catch"}:
                continue
            open_at = m.end() - 1
            close_at = matching(text, open_at, "(", ")")
            if close_at < 0:
                continue
            params = text[open_at + 1:close_at - 1]
            if "=" not in params:
                continue
            defaults = [(p, d) for p in split_top_level(params) if (d := default_of(p))]
            if not defaults:
                continue
            # The return type: the text of this declaration before the name.
            start = max(text.rfind(";", 0, m.start()), text.rfind("{", 0, m.start()), text.rfind("}", 0, m.start()))
            head = text[start + 1:m.start()]
            tail_m = re.match(r"\s*(?:const\s*)?(?:noexcept\s*)?(?:->\s*([^{;=]*))?([{;]|=\s*0|=\s*delete)?", text[close_at:])
            trailing = tail_m.group(1) or "" if tail_m else ""
            returns_coroutine = coroutine_re is not None and (coroutine_re.search(head) or coroutine_re.search(trailing))
            uses_co = False
            if tail_m and tail_m.group(2) == "{":
                body_start = close_at + tail_m.end() - 1
                body_end = matching(text, body_start, "{", "}")
                body = text[body_start:body_end] if body_end > 0 else ""
                # A lambda inside the body is another function; its co_await does not count.
                uses_co = re.search(r"\bco_(?:await|return|yield)\b", re.sub(r"\[[^\]]*\]\s*\([^)]*\)[^{;]*\{[^}]*\}", "", body)) is not None
            if not (returns_coroutine or uses_co):
                continue
            for (_, (decl, default)) in defaults:
                if is_scalar(decl, enums):
                    continue
                line = text.count("\n", 0, m.start()) + 1
                findings.append(f"{path}:{line}: coroutine '{name}' has a defaulted parameter of class type "
                                f"'{' '.join(decl.split())} = {' '.join(default.split())}': write an overload instead "
                                f"(GCC 12 miscompiles it)")
        findings += temporaries_in_co_await(path, text, owning)
    return findings


OWNING_MEMBER = re.compile(r"\bstd::(?:string|function|vector|shared_ptr|unique_ptr|map|unordered_map|set|"
                           r"unordered_set|deque|list|any|variant|optional\s*<\s*std::)|\bjson_value\b")


def owning_structs(texts):
    """Names of structs whose members have destructors (a std::string, a container, another such struct)."""
    bodies = {}
    for text in texts:
        for m in re.finditer(r"\b(?:struct|class)\s+(?:\[\[[^\]]*\]\]\s*)*([A-Za-z_]\w*)\s*(?::[^{;]*)?\{", text):
            end = matching(text, m.end() - 1, "{", "}")
            if end < 0:
                continue
            body = text[m.end():end - 1]
            # Members only: nested braces (function bodies, nested types, initializers) left out.
            flat, depth = [], 0
            for ch in body:
                if ch == "{":
                    depth += 1
                elif ch == "}":
                    depth -= 1
                elif depth == 0:
                    flat.append(ch)
            bodies.setdefault(m.group(1), []).append("".join(flat))
    owning = {name for name, flats in bodies.items() if any(OWNING_MEMBER.search(f) for f in flats)}
    changed = True
    while changed:  # a struct that holds an owning struct owns too
        changed = False
        for name, flats in bodies.items():
            if name not in owning and any(re.search(r"\b(?:%s)\s+\w+\s*[;=]" % "|".join(owning), f) for f in flats if owning):
                owning.add(name)
                changed = True
    return owning


SIMPLE_BRANCH = re.compile(r"^[\s\w.:+\-*/%()\"]*$")


def temporaries_in_co_await(path, text, owning):
    findings = []
    for m in re.finditer(r"\bco_await\b", text):
        j, depth = m.end(), 0
        while j < len(text):
            ch = text[j]
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                if depth == 0:
                    break
                depth -= 1
            elif ch == ";" and depth == 0:
                break
            j += 1
        expr = text[m.end():j]
        line = text.count("\n", 0, m.start()) + 1
        shown = " ".join(expr.split())[:100]
        for q in re.finditer(r"\?", expr):
            colon = expr.find(":", q.end())
            while colon >= 0 and expr[colon:colon + 2] == "::":
                colon = expr.find(":", colon + 2)
            if colon < 0:
                continue
            first = expr[q.end():colon]
            second = re.split(r"[,)]", expr[colon + 1:], maxsplit=1)[0]
            # A call or a braced value in a branch makes a temporary; a string literal plus a
            # string makes a std::string.
            if not (SIMPLE_BRANCH.match(first) and SIMPLE_BRANCH.match(second)) or \
                    ("\"" in first + second and "+" in first + second):
                findings.append(f"{path}:{line}: a conditional operator inside a co_await expression "
                                f"('co_await {shown}'): build the value in a statement of its own (GCC 12 "
                                f"destroys its temporaries twice)")
                break
        if owning:
            for b in re.finditer(r"(?<![\w:])((?:[A-Za-z_]\w*::)*([A-Za-z_]\w*))\s*\{", expr):
                if b.group(2) in owning:
                    findings.append(f"{path}:{line}: a braced temporary of '{b.group(1)}', which owns members "
                                    f"with destructors, inside a co_await expression ('co_await {shown}'): build "
                                    f"it in a statement of its own (GCC 12 destroys it twice)")
    return findings


def source_files(paths):
    for p in paths:
        if os.path.isfile(p):
            yield p
            continue
        for root, dirs, names in os.walk(p):
            dirs[:] = sorted(d for d in dirs if d not in ("captures", "corpus", "subprojects") and not d.startswith("build"))
            for n in sorted(names):
                if n.endswith(SUFFIXES):
                    yield os.path.join(root, n)


def main(argv):
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__)
        return 0
    paths = argv or [d for d in SOURCE_DIRS if os.path.isdir(d)]
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        print(f"coroutine_hazards.py: no such path: {missing[0]}", file=sys.stderr)
        return 2
    # Coroutine types and enums come from the whole project even when a few paths are checked.
    context = [d for d in SOURCE_DIRS if os.path.isdir(d)]
    findings = scan(list(source_files(paths)), list(source_files(context)))
    for f in findings:
        print(f)
    if findings:
        print(f"coroutine_hazards.py: {len(findings)} shape(s) that GCC 12 miscompiles", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
