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

import sys

# The generator's modules sit beside it; no bytecode cache is written into the source tree.
sys.dont_write_bytecode = True

from cdp_model import *  # noqa: E402,F401,F403
from cdp_headers import *  # noqa: E402,F401,F403

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
