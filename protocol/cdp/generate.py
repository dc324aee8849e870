#!/usr/bin/env python3
"""Generates Janus's typed CDP bindings from Chromium's protocol description.

Input is the schema the browser serves at GET /json/protocol (browser_protocol.json beside this
script, refreshed by scripts/refresh-cdp-schema.sh). Output goes to the build directory only:

  janus/cdp/<domain>_fwd.hpp          aliases, enumerations, forward declarations of every struct
  janus/cdp/<domain>_types.hpp        the domain's types as structs
  janus/cdp/<domain>.hpp              command parameter/result structs and event structs
  janus/cdp/all.hpp                   every domain
  janus/cdp/<domain>_descriptors.ipp  the descriptors that drive encoding and decoding
  janus/cdp/descriptors_<n>.cpp       BUNDLES compilation units that include the .ipp files

The header split is forced by the schema: domains refer to each other in cycles (Page <-> Network
<-> DOM), but only through aliases and enumerations, which the _fwd headers satisfy. Struct members
that need another domain's struct complete form no cycle between _types headers, which the
generator checks. Headers hold declarations only; the JSON work is one hand-written walker
(protocol/cdp/typed_codec.cpp) driven by the descriptors.

With --tests it writes instead one C++ source with a round-trip case for every command and event:
JSON with every member set (built here from the schema), fed through decode and encode.

Python standard library only: it runs inside the build.
"""

import argparse
import json
import os
import re
import sys

CPP_KEYWORDS = frozenset("""
    alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t char16_t
    char32_t class compl concept const consteval constexpr constinit const_cast continue co_await
    co_return co_yield decltype default delete do double dynamic_cast else enum explicit export
    extern false float for friend goto if import inline int long module mutable namespace new
    noexcept not not_eq nullptr operator or or_eq private protected public register
    reinterpret_cast requires return short signed sizeof static static_assert static_cast struct
    switch template this thread_local throw true try typedef typeid typename union unsigned using
    virtual void volatile wchar_t while xor xor_eq
    linux unix
""".split())  # linux and unix are predefined macros in GNU modes (-std=gnu++20).

# Names the generated namespaces rely on finding in janus::cdp; a domain type of that name would
# hide them.
SUPPORT_NAMES = frozenset(["detail", "std", "janus", "cdp", "open_enum", "optional_box", "raw_json",
                           "no_result"])

# Members every command/event struct declares itself.
STRUCT_RESERVED = frozenset(["method", "result_type"])

MAX_FIELDS = 64  # typed_codec.cpp tracks required members in one 64-bit word


class SchemaError(Exception):
    pass


def snake(name):
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.replace("-", "_").replace(".", "_").lower()


def identifier(name):
    ident = snake(name)
    return ident + "_" if ident in CPP_KEYWORDS else ident


# --- model --------------------------------------------------------------------------------------

class Ref:
    """A type as a member uses it: prim, named (alias/enum/struct/raw) or array."""

    def __init__(self, kind, prim=None, target=None, element=None):
        self.kind = kind          # 'prim' | 'named' | 'array'
        self.prim = prim          # C++ spelling for 'prim'
        self.target = target      # TypeDef for 'named'
        self.element = element    # Ref for 'array'


class TypeDef:
    """A named type: a schema type, or an enumeration declared inline in a member."""

    def __init__(self, domain, wire_id, cpp, kind, desc):
        self.domain = domain
        self.wire_id = wire_id    # "Page.Frame"
        self.cpp = cpp            # "frame"
        self.kind = kind          # 'alias' | 'enum' | 'struct'
        self.desc = desc          # the schema object (description, experimental, deprecated)
        self.alias = None         # Ref, for 'alias'
        self.values = []          # wire strings, for 'enum'
        self.struct = None        # Struct, for 'struct'


class Field:
    def __init__(self, wire, cpp, ref, optional, desc):
        self.wire = wire
        self.cpp = cpp
        self.ref = ref
        self.optional = optional
        self.desc = desc
        self.boxed = False        # optional_box: the member closes a cycle of structs (box_cycles)


class Struct:
    def __init__(self, domain, cpp, wire_name, role, desc, method=None):
        self.domain = domain
        self.cpp = cpp
        self.wire_name = wire_name  # descriptor name, used in error messages
        self.role = role            # 'type' | 'params' | 'result' | 'event'
        self.desc = desc
        self.method = method
        self.fields = []
        self.result = None          # Struct, for 'params' with returns


class Domain:
    def __init__(self, schema):
        self.schema = schema
        self.name = schema["domain"]
        self.ns = snake(self.name)
        self.typedefs = []          # in schema order, inline enums after their owner
        self.by_id = {}
        self.type_structs = []
        self.commands = []          # params Structs
        self.events = []
        self.names = {}             # cpp name -> what declared it, to catch collisions

    def claim(self, cpp, what):
        if cpp in self.names:
            raise SchemaError(f"{self.name}: '{cpp}' names both {self.names[cpp]} and {what}")
        if cpp in SUPPORT_NAMES or cpp in CPP_KEYWORDS:
            raise SchemaError(f"{self.name}: {what} would be named '{cpp}', which is reserved")
        self.names[cpp] = what


class Model:
    def __init__(self, schema):
        self.version = schema.get("version", {})
        self.domains = [Domain(d) for d in schema["domains"]]
        self.by_name = {d.name: d for d in self.domains}
        namespaces = [d.ns for d in self.domains]
        if len(set(namespaces)) != len(namespaces):
            raise SchemaError("two domains map to one namespace")
        for d in self.domains:
            for t in d.schema.get("types", []):
                self.declare_type(d, t)
        for d in self.domains:
            for td in list(d.typedefs):
                self.resolve_type(td)
            for c in d.schema.get("commands", []):
                self.add_command(d, c)
            for e in d.schema.get("events", []):
                self.add_event(d, e)
        for d in self.domains:
            self.box_cycles(d)

    def declare_type(self, d, t):
        cpp = identifier(t["id"])
        if t.get("enum") is not None:
            kind = "enum"
        elif t["type"] == "object" and t.get("properties") is not None:
            kind = "struct"
        else:
            kind = "alias"
        td = TypeDef(d, f"{d.name}.{t['id']}", cpp, kind, t)
        d.claim(cpp, f"type {t['id']}")
        d.typedefs.append(td)
        d.by_id[t["id"]] = td

    def lookup(self, d, ref):
        domain_name, _, type_id = ref.rpartition(".")
        owner = self.by_name.get(domain_name) if domain_name else d
        if owner is None or type_id not in owner.by_id:
            raise SchemaError(f"{d.name}: unresolved $ref {ref}")
        return owner.by_id[type_id]

    def ref_of(self, d, spec, inline_enum_name, inline_enum_wire):
        """The Ref for a member or items spec; inline enums become TypeDefs of the domain."""
        if "$ref" in spec:
            return Ref("named", target=self.lookup(d, spec["$ref"]))
        t = spec["type"]
        if "enum" in spec:
            if t != "string":
                raise SchemaError(f"{inline_enum_wire}: enumeration of {t}")
            td = TypeDef(d, inline_enum_wire, inline_enum_name, "enum", spec)
            td.values = list(spec["enum"])
            d.claim(inline_enum_name, f"the enumeration of {inline_enum_wire}")
            d.typedefs.append(td)
            return Ref("named", target=td)
        if t == "string" or t == "binary":
            return Ref("prim", prim="std::string")
        if t == "integer":
            return Ref("prim", prim="std::int64_t")
        if t == "number":
            return Ref("prim", prim="double")
        if t == "boolean":
            return Ref("prim", prim="bool")
        if t == "any" or (t == "object" and "properties" not in spec):
            return Ref("prim", prim="raw_json")
        if t == "array":
            element = self.ref_of(d, spec["items"], inline_enum_name, inline_enum_wire)
            if element.kind == "prim" and element.prim == "bool":
                # std::vector<bool> hands out proxies, not addresses the walker could fill.
                raise SchemaError(f"{inline_enum_wire}: array of boolean")
            return Ref("array", element=element)
        raise SchemaError(f"{inline_enum_wire}: unsupported type {t}")

    def fields_of(self, d, owner_cpp, owner_wire, props, reserved):
        fields = []
        seen = set()
        for p in props:
            cpp = identifier(p["name"])
            if cpp in reserved:
                cpp += "_"
            if cpp in seen:
                raise SchemaError(f"{owner_wire}: two members map to '{cpp}'")
            seen.add(cpp)
            ref = self.ref_of(d, p, f"{owner_cpp}_{snake(p['name'])}", f"{owner_wire}.{p['name']}")
            fields.append(Field(p["name"], cpp, ref, bool(p.get("optional")), p))
        if len(fields) > MAX_FIELDS:
            raise SchemaError(f"{owner_wire}: more than {MAX_FIELDS} members")
        return fields

    def resolve_type(self, td):
        t = td.desc
        d = td.domain
        if td.kind == "enum":
            if not td.values:
                td.values = list(t["enum"])
        elif td.kind == "struct":
            s = Struct(d, td.cpp, td.wire_id, "type", t)
            s.fields = self.fields_of(d, td.cpp, td.wire_id, t["properties"], frozenset())
            td.struct = s
            d.type_structs.append(s)
        else:
            td.alias = self.ref_of(d, t, td.cpp + "_item", td.wire_id)

    def add_command(self, d, c):
        cpp = identifier(c["name"])
        method = f"{d.name}.{c['name']}"
        d.claim(cpp, f"command {c['name']}")
        s = Struct(d, cpp, method, "params", c, method)
        s.fields = self.fields_of(d, cpp, method, c.get("parameters", []), STRUCT_RESERVED)
        if c.get("returns"):
            d.claim(cpp + "_result", f"the result of {c['name']}")
            r = Struct(d, cpp + "_result", method + " result", "result", c, method)
            r.fields = self.fields_of(d, cpp + "_result", method + " result", c["returns"],
                                      frozenset())
            s.result = r
        d.commands.append(s)

    def add_event(self, d, e):
        cpp = identifier(e["name"])
        method = f"{d.name}.{e['name']}"
        d.claim(cpp, f"event {e['name']}")
        s = Struct(d, cpp, method, "event", e, method)
        s.fields = self.fields_of(d, cpp, method, e.get("parameters", []), STRUCT_RESERVED)
        d.events.append(s)

    def box_cycles(self, d):
        """Members through which structs of the domain contain each other in a cycle.

        Every struct must be defined before it is held by value, and (for clang, which instantiates
        std::vector<T>'s destructor where a `{}` member initializer names it) before it is held in
        a vector. A cycle of such needs is broken by holding its by-value members in optional_box,
        which works with an incomplete type; a vector of the struct itself stays a vector."""
        edges = {s.cpp: [] for s in d.type_structs}
        for s in d.type_structs:
            for f in s.fields:
                target, by_value = struct_target(f.ref)
                if target is not None and target.domain is d:
                    edges[s.cpp].append((f, target.cpp, by_value))
        for comp in strongly_connected(list(edges), {k: [t for _, t, _ in v] for k, v in edges.items()}):
            members = set(comp)
            for name in comp:
                for f, target, by_value in edges[name]:
                    if by_value and target in members:
                        f.boxed = True


def struct_target(r):
    """(the struct a member's type names, whether held by value) or (None, False)."""
    by_value = True
    while True:
        if r.kind == "array":
            by_value = False
            r = r.element
        elif r.kind == "named" and r.target.kind == "alias":
            r = r.target.alias
        else:
            break
    if r.kind == "named" and r.target.kind == "struct":
        return r.target, by_value
    return None, False


def strongly_connected(nodes, edges):
    """Tarjan's algorithm; returns components that contain a cycle (self-loops included)."""
    sys.setrecursionlimit(max(10000, sys.getrecursionlimit()))
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in edges.get(v, ()):
                out.append(comp)

    for v in nodes:
        if v not in index:
            visit(v)
    return out


# --- C++ spelling -------------------------------------------------------------------------------

class Spelling:
    """Spells types as seen from one namespace, fully qualifying a name whose first component a
    member of the struct being declared would hide (`network::loader_id loader_id{};` is fine, but
    a member named `network` would change what `network::` means later in the class)."""

    def __init__(self, domain, hidden=frozenset()):
        self.domain = domain
        self.hidden = hidden

    def named(self, td):
        if td.domain is self.domain and td.cpp not in self.hidden:
            return td.cpp
        ns = td.domain.ns
        # `ns::` is looked up unqualified: a member, or a type of the current domain (Animation
        # has a type Animation), of that name would be found first.
        if ns in self.hidden or ns in self.domain.names:
            return f"::janus::cdp::{ns}::{td.cpp}"
        return f"{ns}::{td.cpp}"

    def ref(self, r):
        if r.kind == "prim":
            return r.prim
        if r.kind == "array":
            return f"std::vector<{self.ref(r.element)}>"
        td = r.target
        name = self.named(td)
        return f"open_enum<{name}>" if td.kind == "enum" else name

    def field(self, f):
        t = self.ref(f.ref)
        if f.boxed:
            return f"optional_box<{t}>"
        return f"std::optional<{t}>" if f.optional else t


def doc_lines(desc, indent="", extra=()):
    """`///` lines for a schema description plus its experimental/deprecated status."""
    text = desc.get("description", "") if isinstance(desc, dict) else ""
    lines = []
    for line in text.replace("\r", "").split("\n"):
        # A trailing backslash would splice the next line into the comment.
        line = line.rstrip().rstrip("\\").rstrip()
        lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    status = []
    if isinstance(desc, dict) and desc.get("experimental"):
        status.append("Experimental.")
    if isinstance(desc, dict) and desc.get("deprecated"):
        status.append("Deprecated.")
    status.extend(extra)
    if status:
        if lines:
            lines.append("")
        lines.append(" ".join(status))
    return [f"{indent}///" + (f" {l}" if l else "") for l in lines]


def deprecated_attr(desc, what):
    return f'[[deprecated("{what} is deprecated in the protocol")]] ' if desc.get("deprecated") else ""


HEADER_BANNER = """\
// Generated by protocol/cdp/generate.py from {schema} ({browser}). Do not edit: regenerate.
"""


# --- dependencies -------------------------------------------------------------------------------

def ref_needs(r, by_value, needs):
    """Collects (domain, 'fwd'|'types') this Ref needs to be spelled in a declaration."""
    if r.kind == "array":
        # A TU that holds std::vector<T> must see T complete by its end (the members' `{}`
        # initializers instantiate the vector's destructor), so arrays need the _types header too.
        ref_needs(r.element, True, needs)
    elif r.kind == "named":
        td = r.target
        complete = by_value and td.kind == "struct"
        needs.add((td.domain.name, "types" if complete else "fwd"))


def struct_needs(structs):
    needs = set()
    for s in structs:
        for f in s.fields:
            ref_needs(f.ref, not f.boxed, needs)
    return needs


def includes_for(d, needs, own):
    out = [own]
    for dom, level in sorted(needs):
        if dom == d.name:
            continue
        out.append(f"janus/cdp/{snake(dom)}_{level}.hpp")
    # A _types header already includes the same domain's _fwd header.
    typed = {i[:-len("_types.hpp")] for i in out if i.endswith("_types.hpp")}
    return [i for i in dict.fromkeys(out) if not (i.endswith("_fwd.hpp") and i[:-len("_fwd.hpp")] in typed)]


def check_types_layering(model):
    graph = {}
    for d in model.domains:
        needs = struct_needs(d.type_structs)
        graph[d.name] = sorted({dom for dom, level in needs if level == "types" and dom != d.name})
    cycles = strongly_connected(list(graph), graph)
    if cycles:
        raise SchemaError("domains need each other's structs complete in a cycle: "
                          + "; ".join(" -> ".join(c) for c in cycles))


def order_structs(d):
    """Type structs in an order where each struct comes before those holding it by value or in a
    vector (see Model.box_cycles); a vector of the struct itself is fine inside it."""
    structs = {s.cpp: s for s in d.type_structs}
    done, order = set(), []

    def visit(s, path):
        if s.cpp in done:
            return
        if s.cpp in path:
            raise SchemaError(f"{d.name}: unbroken cycle through {s.cpp}")
        path.add(s.cpp)
        for f in s.fields:
            target, _ = struct_target(f.ref)
            if f.boxed or target is None or target.domain is not d or target.cpp == s.cpp:
                continue
            visit(structs[target.cpp], path)
        path.discard(s.cpp)
        done.add(s.cpp)
        order.append(s)

    for s in d.type_structs:
        visit(s, set())
    return order


def order_aliases(d):
    aliases = [td for td in d.typedefs if td.kind == "alias"]
    names = {td.cpp: td for td in aliases}
    done, order = set(), []

    def deps(r):
        if r.kind == "array":
            yield from deps(r.element)
        elif r.kind == "named" and r.target.kind == "alias" and r.target.domain is d:
            yield r.target

    def visit(td):
        if td.cpp in done:
            return
        done.add(td.cpp)
        for dep in deps(td.alias):
            visit(names[dep.cpp])
        order.append(td)

    for td in aliases:
        visit(td)
    return order


# --- headers ------------------------------------------------------------------------------------

class Writer:
    def __init__(self):
        self.lines = []

    def __call__(self, line=""):
        self.lines.append(line)

    def extend(self, lines):
        self.lines.extend(lines)

    def text(self):
        return "\n".join(self.lines) + "\n"


def open_header(w, ctx, d, what, includes):
    w(HEADER_BANNER.format(**ctx).rstrip())
    w("//")
    w(f"// {d.name} domain: {what}.")
    if what == "commands and events":
        doc = doc_lines(d.schema)
        if doc:
            w("//")
            w.extend("//" + line[3:] for line in doc)
    w("#pragma once")
    w()
    for inc in includes:
        w(f'#include "{inc}"')
    w()
    # Deprecated CDP types may still be used by other declarations here; warnings belong to the
    # user code that names them.
    w("#pragma GCC diagnostic push")
    w('#pragma GCC diagnostic ignored "-Wdeprecated-declarations"')
    w()
    w(f"namespace janus::cdp::{d.ns} {{")
    w()


def close_header(w, d):
    w(f"}}  // namespace janus::cdp::{d.ns}")
    w()
    w("#pragma GCC diagnostic pop")


def all_structs(d):
    out = list(d.type_structs)
    for c in d.commands:
        out.append(c)
        if c.result:
            out.append(c.result)
    out.extend(d.events)
    return out


def emit_fwd(ctx, d):
    w = Writer()
    needs = set()
    for td in d.typedefs:
        if td.kind == "alias":
            ref_needs(td.alias, False, needs)
    includes = ["janus/protocol/cdp/common.hpp"] + [
        f"janus/cdp/{snake(dom)}_fwd.hpp" for dom, _ in sorted(needs) if dom != d.name]
    open_header(w, ctx, d, "aliases, enumerations and forward declarations", includes)
    structs = all_structs(d)
    if structs:
        for s in structs:
            w(f"struct {s.cpp};")
        w()
    sp = Spelling(d)
    for td in order_aliases(d):
        w.extend(doc_lines(td.desc))
        w(f"using {td.cpp} {deprecated_attr(td.desc, td.wire_id)}= {sp.ref(td.alias)};")
        w()
    for td in d.typedefs:
        if td.kind != "enum":
            continue
        w.extend(doc_lines(td.desc, extra=() if "id" in td.desc else (f"Values of {td.wire_id}.",)))
        underlying = "std::uint8_t" if len(td.values) < 255 else "std::uint16_t"
        w(f"enum class {deprecated_attr(td.desc, td.wire_id)}{td.cpp} : {underlying} {{")
        w("  unknown,  ///< a string the schema does not list: see open_enum::raw")
        for name, value in enum_members(td):
            if name == "unknown_":
                w(f'  {name},  ///< "{value}": the schema\'s own value, unlike `unknown` above')
            else:
                w(f'  {name},  ///< "{value}"')
        w("};")
        w(f"const detail::type_desc& cdp_describe({td.cpp}) noexcept;")
        w()
    close_header(w, d)
    return w.text()


def enum_members(td):
    members, seen = [], set()
    for value in td.values:
        name = identifier(value)
        # The schema's own "unknown" must not be mistaken for the unlisted-string enumerator.
        if name == "unknown":
            name = "unknown_"
        if name in seen:
            raise SchemaError(f"{td.wire_id}: two values map to '{name}'")
        seen.add(name)
        members.append((name, value))
    return members


def emit_struct(w, s, extra_members=(), notes=()):
    d = s.domain
    sp = Spelling(d, frozenset(f.cpp for f in s.fields))
    if s.role == "result":
        w.extend(doc_lines({}, extra=(f"Result of {s.method}.",)))
    else:
        w.extend(doc_lines(s.desc, extra=notes))
    attr = deprecated_attr(s.desc, s.method or s.wire_name) if s.role != "result" else ""
    w(f"struct {attr}{s.cpp} {{")
    for m in extra_members:
        w(f"  {m}")
    for f in s.fields:
        note = ()
        if f.boxed and not f.optional:
            note = ("Required: present in every decoded value (boxed because the type contains itself).",)
        w.extend(doc_lines(f.desc, indent="  ", extra=note))
        w(f"  {sp.field(f)} {f.cpp}{{}};")
    w("};")
    w(f"const detail::type_desc& cdp_describe(const {s.cpp}*) noexcept;")
    w()


def emit_types(ctx, d):
    w = Writer()
    includes = includes_for(d, struct_needs(d.type_structs), f"janus/cdp/{d.ns}_fwd.hpp")
    open_header(w, ctx, d, "types", includes)
    for s in order_structs(d):
        emit_struct(w, s)
    close_header(w, d)
    return w.text()


def emit_domain(ctx, d):
    w = Writer()
    structs = [s for c in d.commands for s in ([c, c.result] if c.result else [c])] + d.events
    includes = includes_for(d, struct_needs(structs), f"janus/cdp/{d.ns}_types.hpp")
    open_header(w, ctx, d, "commands and events", includes)
    for c in d.commands:
        result = c.result.cpp if c.result else "no_result"
        extra = ()
        if "redirect" in c.desc:
            extra = (f"Implemented by the {c.desc['redirect']} domain.",)
        members = [f'static constexpr std::string_view method = "{c.method}";',
                   f"using result_type = {result};"]
        emit_struct(w, c, members, extra)
        if c.result:
            emit_struct(w, c.result)
    for e in d.events:
        emit_struct(w, e, [f'static constexpr std::string_view method = "{e.method}";'])
    close_header(w, d)
    return w.text()


def emit_umbrella(ctx, model):
    w = Writer()
    w(HEADER_BANNER.format(**ctx).rstrip())
    w("//")
    w("// Every CDP domain. Prefer the headers of the domains you use: this one is large.")
    w("#pragma once")
    w()
    for d in model.domains:
        w(f'#include "janus/cdp/{d.ns}.hpp"')
    return w.text()


# --- descriptors (.cpp) -------------------------------------------------------------------------

def canonical(r):
    """(spelling, home domain or None) of a Ref with aliases resolved, so that one C++ type has
    one spelling whichever alias named it."""
    if r.kind == "prim":
        return ("::janus::protocol::raw_json" if r.prim == "raw_json" else r.prim), None
    if r.kind == "array":
        inner, home = canonical(r.element)
        return f"std::vector<{inner}>", home
    td = r.target
    if td.kind == "alias":
        return canonical(td.alias)
    name = f"::janus::cdp::{td.domain.ns}::{td.cpp}"
    if td.kind == "enum":
        return f"::janus::cdp::open_enum<{name}>", td.domain.name
    return name, td.domain.name


def field_containers(f):
    """Every container type a member's type consists of, with the domain that compiles it."""
    out = []
    r = f.ref
    inner, home = canonical(r)
    if f.boxed:
        out.append((f"::janus::cdp::optional_box<{inner}>", home))
    elif f.optional:
        out.append((f"std::optional<{inner}>", home))
    while r.kind == "array" or (r.kind == "named" and r.target.kind == "alias"):
        if r.kind == "array":
            out.append(canonical(r))
            r = r.element
        else:
            r = r.target.alias
    return out


def container_homes(model):
    """Container spelling -> home domain name (None: shared, element is a primitive)."""
    homes = {}
    for d in model.domains:
        for s in all_structs(d):
            for f in s.fields:
                for spelling, home in field_containers(f):
                    homes[spelling] = home
    return homes


def domain_containers(d):
    used = set()
    for s in all_structs(d):
        for f in s.fields:
            used.update(sp for sp, _ in field_containers(f))
    return used


def emit_decoder(w, s):
    """The struct's decoder: member names compared as constants (grouped by length), each member
    decoded by the matching detail::decode_into overload, required ones checked at the end."""
    if not s.fields:
        w(f"bool cdp_decode(detail::od::value& v, {s.cpp}&, detail::decode_failure& f) {{")
        w("  return detail::skip_object(v, f);")
        w("}")
        w()
        return
    w(f"bool cdp_decode(detail::od::value& v, {s.cpp}& o, detail::decode_failure& f) {{")
    w("  detail::od::object object;")
    w('  if (auto e = v.get_object().get(object)) return detail::fail(f, "an object", e);')
    w("  std::uint64_t seen = 0;")
    w("  for (auto r : object) {")
    w("    std::string_view key;")
    w("    detail::od::value* m;")
    w("    if (!detail::next_member(r, key, m, f)) return false;")
    by_length = {}
    for i, f in enumerate(s.fields):
        by_length.setdefault(len(f.wire.encode()), []).append((i, f))
    # A member the schema does not know is skipped: browsers add members before schemas catch up.
    w("    switch (key.size()) {")
    for length in sorted(by_length):
        w(f"      case {length}:")
        for i, f in by_length[length]:
            wire = json.dumps(f.wire)
            w(f"        if (detail::key_is(key.data(), {wire})) {{")
            w(f"          if (!detail::decode_into(*m, o.{f.cpp}, f)) return detail::fail_at(f, {wire});")
            w(f"          seen |= std::uint64_t{{1}} << {i};")
            w("          continue;")
            w("        }")
        w("        break;")
    w("    }")
    w("  }")
    for i, f in enumerate(s.fields):
        wire = json.dumps(f.wire)
        if f.optional:
            w(f"  if (!(seen & (std::uint64_t{{1}} << {i}))) detail::clear_member(o.{f.cpp});")
        else:
            w(f"  if (!(seen & (std::uint64_t{{1}} << {i}))) return detail::fail_missing(f, {wire});")
    w("  return true;")
    w("}")
    w()


def emit_descriptors(ctx, d):
    """The domain's descriptors and decoders, included by one of the bundles."""
    w = Writer()
    w(HEADER_BANNER.format(**ctx).rstrip())
    w("//")
    w(f"// {d.name} domain: the descriptors that drive encoding (see protocol/cdp/typed_codec.cpp) and")
    w("// the decoders (see protocol/cdp/decode_support.hpp). Compiled as part of a descriptors_<n>.cpp")
    w("// bundle.")
    w("#pragma once")
    w()
    structs = all_structs(d)
    needs = struct_needs(structs)
    includes = [f"janus/cdp/{d.ns}.hpp"] + sorted(
        {f"janus/cdp/{snake(dom)}_types.hpp" for dom, _ in needs if dom != d.name})
    includes.append("janus/protocol/cdp/reflect.hpp")
    includes.append("cdp/decode_support.hpp")
    for inc in includes:
        w(f'#include "{inc}"')
    w()
    # Decoders call each other through argument-dependent lookup, which needs a declaration of
    # every struct's decoder they reach, this domain's and other domains'.
    refs = set()
    for s in structs:
        for f in s.fields:
            target, _ = struct_target(f.ref)
            if target:
                refs.add((target.domain.ns, target.cpp))
    foreign = sorted(r for r in refs if r[0] != d.ns)
    for ns in sorted({ns for ns, _ in foreign}):
        w(f"namespace janus::cdp::{ns} {{")
        for _, cpp in (r for r in foreign if r[0] == ns):
            w(f"bool cdp_decode(detail::od::value& v, {cpp}& o, detail::decode_failure& f);")
        w("}")
    if foreign:
        w()
    w(f"namespace janus::cdp::{d.ns} {{")
    w()
    for s in structs:
        w(f"bool cdp_decode(detail::od::value& v, {s.cpp}& o, detail::decode_failure& f);")
    w()
    for td in d.typedefs:
        if td.kind != "enum":
            continue
        values = ", ".join(json.dumps(v) for v in td.values)
        w(f"const detail::type_desc& cdp_describe({td.cpp}) noexcept {{")
        w(f"  static constexpr std::string_view values[] = {{{values}}};")
        w(f'  static constexpr auto type = detail::enum_type<{td.cpp}>("{td.wire_id}", values);')
        w("  return type;")
        w("}")
        w()
    for s in structs:
        emit_decoder(w, s)
        w(f"const detail::type_desc& cdp_describe(const {s.cpp}*) noexcept {{")
        if not s.fields:
            w(f'  static constexpr auto type = detail::object_type<{s.cpp}>("{s.wire_name}", '
              f"&detail::erased_decode<{s.cpp}>);")
        else:
            w("  static constexpr detail::field_desc fields[] = {")
            for f in s.fields:
                required = "false" if f.optional else "true"
                w(f'      {{"{f.wire}", &detail::type_of<decltype({s.cpp}::{f.cpp})>, {required}}},')
            w("  };")
            w(f'  static constexpr auto type = detail::object_type<{s.cpp}>("{s.wire_name}", fields, '
              f"[](void* p, std::size_t i) noexcept -> void* {{")
            w(f"    auto& o = *static_cast<{s.cpp}*>(p);")
            w("    switch (i) {")
            for i, f in enumerate(s.fields):
                w(f"      case {i}: return &o.{f.cpp};")
            w("    }")
            w("    return nullptr;")
            w(f"  }}, &detail::erased_decode<{s.cpp}>);")
        w("  return type;")
        w("}")
        w()
    w(f"}}  // namespace janus::cdp::{d.ns}")
    return w.text()


BUNDLES = 4


def bundles(model):
    """Domains split into BUNDLES compilation units of similar size, in schema order.

    Compiling each domain on its own parses the shared headers (Page, Network, DOM, Runtime...)
    some sixty times over: bundles cut that to a few, yet leave units to compile in parallel."""
    weight = {d.name: sum(1 + len(s.fields) for s in all_structs(d)) + len(d.typedefs)
              for d in model.domains}
    total = sum(weight.values())
    out, current, acc = [], [], 0
    for d in model.domains:
        current.append(d)
        acc += weight[d.name]
        if acc >= total * (len(out) + 1) / BUNDLES and len(out) < BUNDLES - 1:
            out.append(current)
            current = []
    out.append(current)
    return out


def emit_bundle(ctx, index, domains, homes):
    w = Writer()
    w(HEADER_BANNER.format(**ctx).rstrip())
    w("//")
    names = ", ".join(d.name for d in domains)
    w(f"// Descriptor bundle {index}: {names}.")
    w()
    w("// Deprecated types are described like any other.")
    w('#pragma GCC diagnostic ignored "-Wdeprecated-declarations"')
    w()
    for d in domains:
        w(f'#include "janus/cdp/{d.ns}_descriptors.ipp"')
    w()
    mine = {d.name for d in domains}
    used = set()
    for d in domains:
        used |= domain_containers(d)
    # The containers of primitive elements are compiled with the first bundle.
    own = sorted(sp for sp, home in homes.items()
                 if home in mine or (home is None and index == 0))
    elsewhere = sorted(sp for sp in used if sp not in own)
    w("namespace janus::cdp {")
    w()
    if own:
        w("// The containers whose elements are these domains' types, for every domain using them.")
        for sp in own:
            w(f"template struct detail::container_traits<{sp}>;")
        w()
    if elsewhere:
        w("// Compiled with the bundle of their element's domain.")
        for sp in elsewhere:
            w(f"extern template struct detail::container_traits<{sp}>;")
        w()
    w("}  // namespace janus::cdp")
    return w.text()


# --- round-trip cases for the tests -------------------------------------------------------------

class Sample:
    """Builds JSON values with every member set, each scalar distinct so swapped members show.

    A struct that is already being built further up (DOM.Node in its own children) ends the
    recursion: optional members and arrays of it are left empty, and a required member of it gets
    only its own required members."""

    def __init__(self):
        self.n = 0

    def next(self):
        self.n += 1
        return self.n

    def ref(self, r, stack, required):
        if r.kind == "array":
            element = r.element
            while element.kind == "named" and element.target.kind == "alias":
                element = element.target.alias
            if element.kind == "named" and element.target.kind == "struct" and \
                    element.target.struct.wire_name in stack:
                return []
            count = 2 if element.kind == "prim" else 1
            return [self.ref(element, stack, True) for _ in range(count)]
        if r.kind == "prim":
            n = self.next()
            if r.prim == "std::string":
                # Some strings need escaping on the way out.
                return f's{n} "quoted" \\ é\n\u2603' if n % 7 == 0 else f"s{n}"
            if r.prim == "std::int64_t":
                return -n if n % 5 == 0 else n
            if r.prim == "double":
                return n + 0.25
            if r.prim == "bool":
                return n % 2 == 0
            return {"any": [n, "v", True, None, {"nested": n + 0.5}]}
        td = r.target
        if td.kind == "alias":
            return self.ref(td.alias, stack, required)
        if td.kind == "enum":
            return td.values[self.next() % len(td.values)]
        if td.struct.wire_name in stack:
            return self.struct(td.struct, stack, minimal=True) if required else None
        return self.struct(td.struct, stack)

    def struct(self, s, stack, minimal=False):
        stack = stack | {s.wire_name}
        out = {}
        for f in s.fields:
            if minimal and f.optional:
                continue
            v = self.ref(f.ref, stack, not f.optional)
            if v is not None:
                out[f.wire] = v
        return out


def emit_cases(ctx, model):
    w = Writer()
    w(HEADER_BANNER.format(**ctx).rstrip())
    w("//")
    w("// One round-trip case per command and event of the schema: a JSON object with every member")
    w("// set, and the descriptor of the struct it decodes into.")
    w('#include "cdp/cdp_cases.hpp"')
    w()
    w('#include "janus/cdp/all.hpp"')
    w()
    w('#pragma GCC diagnostic ignored "-Wdeprecated-declarations"')
    w()
    w("namespace janus::cdp::test {")
    w()
    w("using detail::type_of;")
    w("using namespace std::string_view_literals;")
    w()
    w("// constexpr: the table must be constant-initialized, not built by code at startup.")
    w("constexpr cdp_case cases[] = {")
    sample = Sample()

    def lit(value):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        if ")cdp\"" in text:
            raise SchemaError("sample JSON contains the raw string delimiter")
        return f'R"cdp({text})cdp"sv'

    for d in model.domains:
        for c in d.commands:
            params = lit(sample.struct(c, frozenset()))
            if c.result:
                result = lit(sample.struct(c.result, frozenset()))
                rt = f"&type_of<{d.ns}::{c.result.cpp}>"
            else:
                result, rt = '"{}"sv', "&type_of<no_result>"
            w(f'    {{"{c.method}", cdp_case::command, {params}, &type_of<{d.ns}::{c.cpp}>, {result}, {rt}}},')
        for e in d.events:
            params = lit(sample.struct(e, frozenset()))
            w(f'    {{"{e.method}", cdp_case::event, {params}, &type_of<{d.ns}::{e.cpp}>, {{}}, nullptr}},')
    w("};")
    w()
    w("std::span<const cdp_case> all_cases() noexcept { return cases; }")
    w()
    w("}  // namespace janus::cdp::test")
    return w.text()


# --- driver -------------------------------------------------------------------------------------

def outputs(model):
    out = []
    for d in model.domains:
        out += [f"{d.ns}_fwd.hpp", f"{d.ns}_types.hpp", f"{d.ns}.hpp"]
    out.append("all.hpp")
    out += [f"{d.ns}_descriptors.ipp" for d in model.domains]
    out += [f"descriptors_{i}.cpp" for i in range(BUNDLES)]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("schema")
    ap.add_argument("--version-file", help="browser_version.json recorded beside the schema")
    ap.add_argument("--out", help="output directory")
    ap.add_argument("--list", action="store_true", help="print the library's output file names")
    ap.add_argument("--tests", metavar="FILE", help="write the round-trip cases source to FILE")
    args = ap.parse_args()

    with open(args.schema, encoding="utf-8") as f:
        schema = json.load(f)
    browser = "unknown browser"
    if args.version_file:
        with open(args.version_file, encoding="utf-8") as f:
            browser = json.load(f).get("Browser", browser)
    try:
        model = Model(schema)
        check_types_layering(model)
        ctx = {"schema": os.path.basename(args.schema), "browser": browser}
        if args.list:
            print("\n".join(outputs(model)))
            return 0
        if args.tests:
            write(args.tests, emit_cases(ctx, model))
            return 0
        files = {}
        homes = container_homes(model)
        for d in model.domains:
            files[f"{d.ns}_fwd.hpp"] = emit_fwd(ctx, d)
            files[f"{d.ns}_types.hpp"] = emit_types(ctx, d)
            files[f"{d.ns}.hpp"] = emit_domain(ctx, d)
            files[f"{d.ns}_descriptors.ipp"] = emit_descriptors(ctx, d)
        files["all.hpp"] = emit_umbrella(ctx, model)
        for i, group in enumerate(bundles(model)):
            files[f"descriptors_{i}.cpp"] = emit_bundle(ctx, i, group, homes)
        assert sorted(files) == sorted(outputs(model))
        for name, text in files.items():
            write(os.path.join(args.out, name), text)
    except SchemaError as e:
        print(f"generate.py: {e}", file=sys.stderr)
        return 1
    return 0


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    sys.exit(main())
