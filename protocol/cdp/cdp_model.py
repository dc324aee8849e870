"""The CDP schema as the generator reads it: domains, types, commands and events, references
between them, and the checks the schema must pass (generate.py).
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
