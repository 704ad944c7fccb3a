"""Shared analysis for `narrow-rescue` and `broad-catch`: which code a `try` protects, what
that code is known to raise or exit with, and when catching everything is legitimate.

Not a rule module (its name starts with `_`). Everything here reads a tree; nothing guesses:
a call the table does not know is reported as unresolved, never assumed harmless.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Mapping

from tree_sitter import Node, QueryCursor

from otpfix.syntax import (
    arguments_node,
    defined_module_keys,
    module_key,
    is_piped_into,
    compile_query,
    block_expressions,
    call_args,
    call_name,
    def_body,
    def_clause_head,
    def_head,
    def_params,
    do_block,
    enclosing,
    enclosing_module,
    module_name,
    operator,
    text_of,
    walk,
)

from . import _raisers as table

TRY_KEYWORDS = frozenset({"def", "defp"})
CLAUSE_BLOCKS = ("rescue_block", "catch_block", "else_block", "after_block")

# Calls that re-raise, raise something else, exit or throw: a clause whose body makes one of
# these does not swallow the error.
ESCALATING = frozenset(
    {
        "raise",
        "reraise",
        "Kernel.raise",
        "Kernel.reraise",
        ":erlang.raise",
        ":erlang.error",
        "exit",
        "Kernel.exit",
        ":erlang.exit",
        "throw",
        "Kernel.throw",
        ":erlang.throw",
        "Mix.raise",
    }
)

# Higher-order functions that run a function argument in the caller's process: a bare
# variable in a function position is a caller-supplied function.
HIGHER_ORDER_MODULES = frozenset({"Enum", "Stream"})
HIGHER_ORDER_NAMES = frozenset(
    """
    each map filter reject reduce reduce_while flat_map find find_value find_index any? all?
    count sort_by group_by map_reduce map_every flat_map_reduce scan uniq_by dedup_by min_by
    max_by split_with filter_map zip_with chunk_by take_while drop_while transform unfold
    resource iterate repeatedly each_while map_join map_intersperse frequencies_by
    """.split()
)
HIGHER_ORDER_CALLS = frozenset(
    {
        "then",
        "tap",
        "Kernel.then",
        "Kernel.tap",
        "Map.update",
        "Map.update!",
        "Map.get_lazy",
        "Map.put_new_lazy",
        "Map.get_and_update",
        "Map.get_and_update!",
        "Keyword.update",
        "Keyword.update!",
        "Keyword.get_lazy",
        "Keyword.put_new_lazy",
        "List.foldl",
        "List.foldr",
    }
)

TELEMETRY_ATTACH = frozenset({":telemetry.attach", ":telemetry.attach_many"})


# -- module facts ------------------------------------------------------------------------------


@dataclass
class ModuleInfo:
    name: str | None
    aliases: dict[str, str]
    defs: dict[str, list[Node]]
    macros: set[str]
    telemetry_handlers: set[str]
    #: For each name of `defs`, parallel to its list: the `def_head` of each clause
    #: (computed once here; `_heads_can_fail` reads them).
    heads: dict[str, list[tuple]] = field(default_factory=dict)


def full_module_name(module: Node | None) -> str | None:
    parts = []
    n = module
    while n is not None:
        name = module_name(n)
        if name is None:
            return None
        parts.append(name)
        n = enclosing_module(n)
    return ".".join(reversed(parts)) if parts else None


def module_info(module: Node | None, scope: Node | None = None, memo: dict | None = None) -> ModuleInfo:
    """Facts about `module` (None: a file without defmodule). Aliases count when declared at
    the module's top level or inside `scope` (the def around the code under analysis).

    `memo`: a dict kept with the parsed file (`module_memo(source)`): the module's own part
    (its name, top-level aliases, defs, macros), which depends on the module alone, is then
    computed once per module and shared by every scope and every caller on that parse;
    each result still gets its own `aliases` and `telemetry_handlers` (the scope's aliases
    are added to a copy, and the handlers are found with them)."""
    if module is None:
        return ModuleInfo(None, {}, {}, set(), set())
    if memo is None:
        base, body = _module_base(module)
    else:
        key = ("module_info", module.id)
        found = memo.get(key)
        if found is None:
            found = memo[key] = _module_base(module)
        base, body = found
    info = ModuleInfo(base.name, dict(base.aliases), base.defs, base.macros, set(), base.heads)
    if body is None:
        return info
    # (an `alias` call has the bytes "alias" in the scope: without them, no walk)
    if scope is not None and b"alias" in (scope.text or b""):
        for n in walk(scope):
            if n.type == "call" and call_name(n) == "alias":
                _read_alias(n, info)
    for n in _telemetry_calls(body):
        if _remote_name(n, info) in TELEMETRY_ATTACH:
            for arg in call_args(n):
                local = _captured_local(arg, info)
                if local:
                    info.telemetry_handlers.add(local)
    return info


def _module_base(module: Node) -> tuple[ModuleInfo, Node | None]:
    """The part of `module_info` that depends on the module alone, and its do_block (None
    when it has none: then nothing else is read)."""
    name = full_module_name(module)
    info = ModuleInfo(name, {}, {}, set(), set())
    body = do_block(module)
    if body is None:
        return info, None
    defs, heads = info.defs, info.heads
    for child in body.named_children:
        if child.type != "call":
            continue
        # `call_name(child)`, read only when it can be one of the keywords below: those
        # are plain identifiers (a dotted target, `Kernel.def`, never equals one).
        target = child.child_by_field_name("target")
        if target is None or target.type != "identifier":
            continue
        kw = text_of(target)
        if kw in ("def", "defp"):
            head = def_clause_head(child)
            if head is not None:
                defs.setdefault(head[0], []).append(child)
                heads.setdefault(head[0], []).append(head)
        elif kw in ("defmacro", "defmacrop"):
            head = def_clause_head(child)
            if head is not None:
                info.macros.add(head[0])
        elif kw == "alias":
            _read_alias(child, info)
        elif kw == "defmodule":
            inner = module_name(child)
            if inner and name and "." not in inner:
                info.aliases.setdefault(inner, f"{name}.{inner}")
    return info, body


_DIRECT_QUERY = """
(call) @call
(binary_operator operator: "=") @match
(binary_operator operator: "/") @div
(anonymous_function) @fn
(unary_operator operator: "@") @attr
(unary_operator operator: "&") @amp
(bitstring) @bits
"""

_TELEMETRY_QUERY = '(call target: (dot left: (atom) @m (#eq? @m ":telemetry"))) @c'


def _target_name(target: Node | None) -> str | None:
    """`call_name` of a call, given its target node."""
    if target is None:
        return None
    kind = target.type
    if kind == "identifier":
        return text_of(target)
    if kind == "dot":
        left = target.child_by_field_name("left")
        if left is None:
            return None
        right = target.child_by_field_name("right")
        if right is None:
            return text_of(left) + "."
        if left.type in ("alias", "atom", "identifier"):
            return f"{text_of(left)}.{text_of(right)}"
    return None


def _telemetry_calls(node: Node) -> list[Node]:
    if b":telemetry" not in (node.text or b""):
        return []
    cursor = QueryCursor(compile_query(_TELEMETRY_QUERY))
    return cursor.captures(node).get("c", [])


def _expand_module_text(text: str, info: ModuleInfo) -> str:
    if text.startswith("Elixir."):
        return text[len("Elixir.") :]
    if text == "__MODULE__" and info.name:
        return info.name
    if text.startswith("__MODULE__.") and info.name:
        return info.name + text[len("__MODULE__") :]
    first, dot, rest = text.partition(".")
    if first in info.aliases:
        return info.aliases[first] + (dot + rest if dot else "")
    return text


def _read_alias(call: Node, info: ModuleInfo) -> None:
    args = call_args(call)
    if not args:
        return
    target = args[0]
    as_name = None
    if len(args) > 1 and args[1].type == "keywords":
        for pair in args[1].named_children:
            key = pair.child_by_field_name("key")
            value = pair.child_by_field_name("value")
            if key is not None and text_of(key).strip().rstrip(":") == "as" and value is not None:
                as_name = text_of(value) if value.type == "alias" else None
                if as_name is None:
                    return
    if target.type == "alias" or (target.type == "identifier" and text_of(target) == "__MODULE__"):
        full = _expand_module_text(text_of(target), info)
        short = as_name or full.rsplit(".", 1)[-1]
        info.aliases[short] = full
    elif target.type == "dot" and as_name is None:
        # alias Foo.{Bar, Baz.Qux}
        left = target.child_by_field_name("left")
        right = target.child_by_field_name("right")
        if left is None or right is None or right.type != "tuple":
            return
        base = _expand_module_text(text_of(left), info)
        for item in right.named_children:
            if item.type == "alias":
                full = f"{base}.{text_of(item)}"
                info.aliases[full.rsplit(".", 1)[-1]] = full


def _remote_name(call: Node, info: ModuleInfo) -> str | None:
    name = call_name(call)
    if name is None or "." not in name or name.endswith("."):
        return None
    module, _, fun = name.rpartition(".")
    return f"{_expand_module_text(module, info)}.{fun}"


def _captured_local(arg: Node, info: ModuleInfo) -> str | None:
    """`&handle/4`, `&__MODULE__.handle/4`, `&This.Module.handle/4` -> "handle"."""
    if arg.type != "unary_operator" or operator(arg) != "&":
        return None
    inner = arg.child_by_field_name("operand")
    if inner is None or inner.type != "binary_operator" or operator(inner) != "/":
        return None
    left = inner.child_by_field_name("left")
    if left is None:
        return None
    if left.type == "identifier":
        return text_of(left)
    if left.type == "call":
        full = _remote_name(left, info)
        if full and info.name:
            module, _, fun = full.rpartition(".")
            if module == info.name:
                return fun
    return None


# -- the protected code ------------------------------------------------------------------------


@dataclass
class Protected:
    """A `try` (or a def with an implicit try) and the code its rescue/catch clauses guard."""

    owner: Node  # the `try` call or the def
    block: Node  # its do_block
    body: list[Node]  # the protected expressions


def protected_of(clause_block: Node) -> Protected | None:
    """For a rescue_block/catch_block: the try or def it belongs to (None for other forms)."""
    block = clause_block.parent
    if block is None or block.type != "do_block":
        return None
    owner = block.parent
    if owner is None or owner.type != "call":
        return None
    kw = call_name(owner)
    if kw != "try" and kw not in TRY_KEYWORDS:
        return None
    return Protected(owner, block, block_expressions(block))


def stab_clauses(block: Node) -> list[Node]:
    return [c for c in block.named_children if c.type == "stab_clause"]


def clause_patterns(clause: Node) -> list[Node] | None:
    """The patterns of a stab clause without a guard (None when it has a guard)."""
    left = clause.child_by_field_name("left")
    if left is None or left.type != "arguments":
        return None
    return [c for c in left.named_children if c.type != "comment"]


def clause_body(clause: Node) -> Node | None:
    return clause.child_by_field_name("right")


def is_catch_all_var(node: Node) -> bool:
    return node.type == "identifier" and text_of(node) not in ("__MODULE__", "__ENV__", "__CALLER__")


def escalates(body: Node | None, info: "ModuleInfo | None" = None) -> bool:
    """The clause body re-raises, raises, exits or throws (anywhere in it, or in a function
    of the same module that it calls, transitively)."""
    if body is None:
        return False
    seen: set[str] = set()
    stack = [body]
    while stack:
        for n in walk(stack.pop()):
            if n.type != "call":
                continue
            name = call_name(n)
            if name in ESCALATING:
                return True
            if info is not None and name in info.defs and name not in seen:
                seen.add(name)
                for d in info.defs[name]:
                    b = def_body(d)
                    if b is not None:
                        stack.append(b)
    return False


def in_quote(node: Node) -> bool:
    return enclosing(node, lambda n: n.type == "call" and call_name(n) == "quote") is not None


def exemption(owner: Node, info: ModuleInfo) -> str | None:
    """Why catching everything is legitimate where `owner` sits, or None."""
    d = owner if call_name(owner) in TRY_KEYWORDS else None
    if d is None:
        d = enclosing(owner, lambda n: n.type == "call" and call_name(n) in ("def", "defp"))
    if d is not None:
        head = def_head(d)
        arity = len(def_params(d))
        if head is not None:
            name = head[0]
            if name == "terminate" and arity == 2:
                return "terminate/2"
            if name == "handle_event" and arity == 4:
                return "telemetry handler"
            if name in info.telemetry_handlers:
                return "telemetry handler"
    attach = enclosing(
        owner,
        lambda n: n.type == "call" and _remote_name(n, info) in TELEMETRY_ATTACH,
    )
    if attach is not None:
        return "telemetry handler"
    return None


# -- what the protected code can do -------------------------------------------------------------


SUMMARY_FIELDS = ("raises", "unknown", "foreign", "exits", "throws", "locals", "remote")


@dataclass
class Summary:
    raises: dict[str, str] = field(default_factory=dict)  # exception -> first source
    unknown: dict[str, str] = field(default_factory=dict)  # label -> reason ("" if none)
    foreign: dict[str, None] = field(default_factory=dict)
    exits: dict[str, None] = field(default_factory=dict)
    throws: dict[str, None] = field(default_factory=dict)
    locals: dict[str, None] = field(default_factory=dict)
    # Unresolved remote calls that facts about other files of the project may resolve:
    # label (as in `unknown`) -> "Module.fun".
    remote: dict[str, str] = field(default_factory=dict)

    def merge(self, other: "Summary") -> None:
        # (through the instances' dicts, not getattr; empty fields, the usual case, skipped)
        mine_all, theirs_all = self.__dict__, other.__dict__
        for attr in SUMMARY_FIELDS:
            theirs = theirs_all[attr]
            if theirs:
                mine = mine_all[attr]
                for k, v in theirs.items():
                    mine.setdefault(k, v)


# What `Analyzer._remote` does after its first tests (see `Analyzer._plan`).
_NOTHING, _ADD, _UNKNOWN, _PROJECT = range(4)


class Analyzer:
    """Summarises code of one module; `raisers` and `exits` extend the shipped table."""

    def __init__(
        self,
        info: ModuleInfo,
        raisers: Mapping[str, Iterable[str]] | None = None,
        exits: Iterable[str] = (),
        project: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
    ) -> None:
        self.info = info
        self.project = project or {}
        self.raisers = {k: tuple(v) for k, v in (raisers or {}).items()}
        self.user_exits = frozenset(exits)
        self.exits = self.user_exits | table.EXITS
        self._def_cache: dict[str, Summary] = {}
        self._parts: dict[str, tuple[bool, list[Node]]] = {}
        self._plans: dict[tuple, tuple] = {}

    # Public: the summary of `nodes`, following local functions transitively.
    def summarize(self, nodes: Iterable[Node], local_names: Iterable[str] = ()) -> Summary:
        total = Summary()
        for node in nodes:
            total.merge(self._direct(node))
        for name in local_names:
            total.locals.setdefault(name, None)
        seen: set[str] = set()
        queue = list(total.locals)
        while queue:
            name = queue.pop()
            if name in seen:
                continue
            seen.add(name)
            s = self._def_summary(name)
            total.merge(s)
            queue.extend(n for n in s.locals if n not in seen)
        return total

    def module_facts(self) -> dict[str, dict[str, Any]]:
        """{function name: facts} for every def/defp of the module (for `collect`): what its
        own clauses do, plus the names of the module's functions it calls (followed at
        check time, only for the functions a protected body reaches)."""
        out = {}
        for name in self.info.defs:
            can_fail, bodies = self._def_parts(name)
            if not bodies:
                continue  # only bodiless heads: nothing to go on
            if can_fail:
                direct = Summary()
                direct.raises.setdefault("FunctionClauseError", name)
                direct.merge(self._direct(bodies[0]))
            else:
                # (merging into an empty Summary would copy it, keys in the same order)
                direct = self._direct(bodies[0])
            for body in bodies[1:]:
                direct.merge(self._direct(body))
            out[name] = summary_to_facts(direct)
        return out

    def _def_parts(self, name: str) -> tuple[bool, list[Node]]:
        """(`_heads_can_fail` of the module's clauses of `name`, their bodies in order,
        the bodiless ones left out), computed once per Analyzer (`module_facts` and
        `_def_summary` both read them)."""
        parts = self._parts.get(name)
        if parts is None:
            bodies = [b for b in map(def_body, self.info.defs.get(name, ())) if b is not None]
            parts = self._parts[name] = (_heads_can_fail(self.info.heads.get(name, [])), bodies)
        return parts

    def _project_call(self, module: str, fun: str, label: str, s: Summary) -> bool:
        """Merge what the project's own `module.fun` does (facts from other files), following
        the functions it calls in its module and in other modules of the project. False when
        the project does not define it."""
        if fun not in self.project.get(module, {}):
            return False
        seen = {(module, fun)}
        queue = [(module, fun)]
        while queue:
            mod, name = queue.pop()
            f = self.project[mod][name]
            for k, v in f["raises"].items():
                s.raises.setdefault(k, v)
            for k in f["throws"]:
                s.throws.setdefault(k, None)
            for k in f["exits"]:
                s.exits.setdefault(f"{k} (via {label})", None)
            for k in f["foreign"]:
                # Code chosen at runtime, reached through another module: not this try's
                # evident purpose, so not an exemption; it blocks the fix.
                s.unknown.setdefault(f"{k} (via {label})", "runs code chosen at runtime")
            for local in f["locals"]:
                if local in self.project[mod] and (mod, local) not in seen:
                    seen.add((mod, local))
                    queue.append((mod, local))
            for unknown_label, reason in f["unknown"].items():
                target = f["remote"].get(unknown_label)
                if target is not None:
                    t_mod, _, t_fun = target.rpartition(".")
                    if t_fun in self.project.get(t_mod, {}):
                        if (t_mod, t_fun) not in seen:
                            seen.add((t_mod, t_fun))
                            queue.append((t_mod, t_fun))
                        continue
                s.unknown.setdefault(f"{unknown_label} (via {label})", reason)
        return True

    def _def_summary(self, name: str) -> Summary:
        if name not in self._def_cache:
            # While in progress (a nested `try` that calls back into this function), the
            # function counts as unresolved: never assume a partial summary is complete.
            self._def_cache[name] = Summary(unknown={f"{name} (recursive)": ""})
            s = Summary()
            can_fail, bodies = self._def_parts(name)
            if can_fail:
                s.raises.setdefault("FunctionClauseError", name)
            for body in bodies:
                s.merge(self._direct(body))
            self._def_cache[name] = s
        return self._def_cache[name]

    def _try(self, n: Node, s: Summary) -> list[Node]:
        """A `try` nested in the analysed code: what escapes it. Returns the nodes still to
        walk (its rescue/catch/else/after blocks: code there runs outside its protection)."""
        block = do_block(n)
        if block is None:
            return list(n.children)
        inner = self.summarize(block_expressions(block))
        inner.locals.clear()  # already followed
        rest = [c for c in block.named_children if c.type in CLAUSE_BLOCKS]
        for child in rest:
            for clause in stab_clauses(child):
                if escalates(clause_body(clause), self.info):
                    continue  # what it catches goes on
                pats = clause_patterns(clause)
                if not pats:
                    continue
                if child.type == "rescue_block" and len(pats) == 1:
                    if is_catch_all_var(pats[0]):
                        inner.raises.clear()
                    else:
                        for name in handled_exceptions([clause], self.info):
                            inner.raises.pop(name, None)
                elif child.type == "catch_block" and len(pats) == 2 and is_catch_all_var(pats[1]):
                    kind = pats[0]
                    if is_catch_all_var(kind):
                        inner = Summary()
                    elif kind.type == "atom" and text_of(kind) == ":exit":
                        inner.exits.clear()
                    elif kind.type == "atom" and text_of(kind) == ":throw":
                        inner.throws.clear()
                    elif kind.type == "atom" and text_of(kind) == ":error":
                        inner.raises.clear()
                elif child.type == "catch_block" and len(pats) == 1 and is_catch_all_var(pats[0]):
                    inner.throws.clear()
        s.merge(inner)
        return rest

    # One subtree, local calls recorded but not followed. The nodes that matter are found by
    # one query (in C), then visited in document order, parents first.
    def _direct(self, root: Node) -> Summary:
        s = Summary()
        captures = QueryCursor(compile_query(_DIRECT_QUERY)).captures(root)
        # In document order, parents first: sorted by (start, -end), ties kept in the order
        # of the capture lists (the running index `i`, unique, so that the sort never
        # compares further: what a stable sort keyed by (start, -end) gives).
        items = []
        i = 0
        for kind, nodes in captures.items():
            for n in nodes:
                items.append((n.start_byte, -n.end_byte, i, kind, n))
                i += 1
        items.sort()
        skipped: list[tuple[int, int]] = []  # ranges handled elsewhere or not run
        for start, end, _, kind, n in items:
            end = -end
            if skipped:
                skipped = [r for r in skipped if r[1] > start]
                if any(a <= start and end <= b for a, b in skipped):
                    continue
            if kind == "call":
                target = n.child_by_field_name("target")
                target_type = target.type if target is not None else None
                if target_type == "identifier":
                    name = text_of(target)
                    if name not in ("quote", "try", "raise", "reraise"):
                        # (not quote, not try, not a re-raise: what `_call` would do)
                        self._identifier_call(n, s, name)
                        continue
                elif target_type == "dot":
                    left = target.child_by_field_name("left")
                    if left is None:
                        continue  # (what `_call` would do: nothing)
                    right = target.child_by_field_name("right")
                    left_text = text_of(left)
                    right_text = text_of(right) if right is not None else None
                    # Never "quote" or "try"; only ":erlang.raise" may re-raise.
                    if (
                        right_text == "raise"
                        and left.type == "atom"
                        and left_text == ":erlang"
                        and _reraises_inner(n, root, ":erlang.raise")
                    ):
                        continue
                    self._dot_call(n, s, left, right, left_text, right_text)
                    continue
                else:
                    name = _target_name(target)
                if name == "quote":
                    skipped.append((start, end))  # quoted code does not run here
                    continue
                if name == "try":
                    block = do_block(n)
                    if block is not None:
                        # its body is summarised by _try; its clauses are visited here
                        skipped.extend((e.start_byte, e.end_byte) for e in block_expressions(block))
                    self._try(n, s)
                    continue
                if not _reraises_inner(n, root, name):
                    self._call(n, s, target)
            elif kind == "match" or kind == "div":
                self._operator(n, root, s, kind)
            elif kind == "fn":
                clauses = stab_clauses(n)
                if clauses and all(_fn_clause_can_fail(c) for c in clauses):
                    s.raises.setdefault("FunctionClauseError", "fn")
            elif kind == "attr":
                skipped.append((start, end))  # a module attribute: read at compile time
            elif kind == "amp":
                local = _captured_local(n, self.info)
                if local and _is_plain_capture(n):
                    arity = _capture_arity(n)
                    if local in self.info.defs or local in self.info.macros:
                        self._local(local, arity, s)
                    else:
                        label = f"{local}/{arity if arity is not None else '?'}"
                        self._remote(f"Kernel.{local}", "Kernel", local, arity or 0, label, n, s, kernel=True)
            elif kind == "bits" and not _in_pattern(n, root):
                if any(c.type == "binary_operator" and operator(c) == "::" for c in n.named_children):
                    s.raises.setdefault("ArgumentError", "<<...>>")
        return s

    def _operator(self, n: Node, root: Node, s: Summary, kind: str | None = None) -> None:
        # The query captured `n` as "match" for the operator token `=`, as "div" for `/`:
        # in a node without syntax errors that token is not MISSING, so its text is what
        # `operator` would read.
        if kind is not None and not n.has_error:
            op = "=" if kind == "match" else "/"
        else:
            op = operator(n)
        if op == "=":
            left = n.child_by_field_name("left")
            if left is not None and left.type != "identifier" and not _in_pattern(n, root):
                s.raises.setdefault("MatchError", "a pattern match")
        elif op == "/":
            parent = n.parent
            if not (parent is not None and parent.type == "unary_operator" and operator(parent) == "&"):
                s.raises.setdefault("ArithmeticError", "`/`")

    def _call(self, n: Node, s: Summary, target: Node | None = None) -> None:
        if target is None:
            target = n.child_by_field_name("target")
            if target is None:
                return
        # The arity is computed only where it is used (a local call to a def needs none).
        if target.type == "dot":
            left = target.child_by_field_name("left")
            right = target.child_by_field_name("right")
            if left is None:
                return
            self._dot_call(n, s, left, right, text_of(left), text_of(right) if right is not None else None)
            return
        if target.type != "identifier":
            return
        self._identifier_call(n, s, text_of(target))

    def _dot_call(
        self, n: Node, s: Summary, left: Node, right: Node | None, left_text: str, right_text: str | None
    ) -> None:
        """A call whose target is `left.right` (`right` None: `fun.(x)`), texts given."""
        if right is None:  # fun.(x)
            s.foreign.setdefault(f"{left_text}.()", None)
            return
        left_type = left.type
        if left_type == "identifier" and left_text == "__MODULE__":
            self._local(right_text, n, s)
            return
        if left_type not in ("alias", "atom"):
            if arguments_node(n) is not None:  # mod.fun(x): a module chosen by the caller
                s.foreign.setdefault(f"{left_text}.{right_text}()", None)
            else:  # map.field
                s.raises.setdefault("KeyError", f"{text_of(n)}")
            return
        module = _expand(left_text, self.info)
        fun = right_text
        full = f"{module}.{fun}"
        if self.info.name and module == self.info.name:
            self._local(fun, n, s)
            return
        arity = _arity(n)
        self._remote(full, module, fun, arity, f"{full}/{arity}", n, s)

    def _identifier_call(self, n: Node, s: Summary, name: str) -> None:
        """A call whose target is the identifier `name` (local, Kernel, special form)."""
        if name in self.info.defs:
            s.locals.setdefault(name, None)
            return
        if name == "raise":
            self._raise(n, s)
            return
        if name in ("case", "cond", "with"):
            self._clause_error(name, n, s)
        if name == "reraise":
            s.unknown.setdefault(f"reraise/{_arity(n)}", "")
            return
        if name == "throw":
            s.throws.setdefault("throw/1", None)
            return
        if name == "apply":
            s.foreign.setdefault(f"apply/{_arity(n)}", None)
            return
        if name == "inspect" and _unsafe_inspect(n):
            s.foreign.setdefault(f"inspect/{_arity(n)}", None)
            return
        if name in self.info.macros:
            s.unknown.setdefault(f"{name}/{_arity(n)}", "a macro of this module")
            return
        arity = _arity(n)
        self._remote(f"Kernel.{name}", "Kernel", name, arity, f"{name}/{arity}", n, s, kernel=True)

    def _clause_error(self, name: str, n: Node, s: Summary) -> None:
        block = do_block(n)
        if block is None:
            return
        if name == "with":
            elses = [c for c in block.named_children if c.type == "else_block"]
            if elses and not _has_catch_all(stab_clauses(elses[0])):
                s.raises.setdefault("WithClauseError", "with/else")
            return
        clauses = stab_clauses(block)
        if name == "case" and not _has_catch_all(clauses):
            s.raises.setdefault("CaseClauseError", "case")
        elif name == "cond" and not any(_is_truthy_literal(clause_patterns(c)) for c in clauses):
            s.raises.setdefault("CondClauseError", "cond")

    def _raise(self, n: Node, s: Summary) -> None:
        args = call_args(n)
        if not args:
            s.unknown.setdefault("raise/0", "")
            return
        first = args[0]
        if first.type == "string":
            s.raises.setdefault("RuntimeError", "raise")
        elif first.type == "alias":
            s.raises.setdefault(_expand(text_of(first), self.info), "raise")
        else:
            s.unknown.setdefault(f"raise/{len(args)}", "raises a value chosen at runtime")

    def _local(self, name: str, arity: int | None | Node, s: Summary) -> None:
        """A call of the module's own `name`; `arity` may be the call node (its arity is
        then computed only if a label needs it)."""
        if name in self.info.defs:
            s.locals.setdefault(name, None)
            return
        if isinstance(arity, Node):
            arity = _arity(arity)
        if name in self.info.macros:
            s.unknown.setdefault(f"{name}/{arity if arity is not None else '?'}", "a macro of this module")
        else:
            s.unknown.setdefault(f"{name}/{arity if arity is not None else '?'}", "")

    def _remote(
        self,
        full: str,
        module: str,
        fun: str,
        arity: int,
        label: str,
        n: Node,
        s: Summary,
        kernel: bool = False,
    ) -> None:
        """What a call of `full` (`module.fun`, `full` being f"{module}.{fun}") with
        `arity` does, recorded in `s` under `label`. Every test below but two depends only
        on (module, fun, arity, kernel) and this Analyzer's options, so their outcome (a
        `_plan`) is computed once per Analyzer; the two others still run at each call:
        whether the call passes a caller's function (it reads the call node) and the
        project's facts (`_project_call`, which also records the lookup)."""
        key = (module, fun, arity, kernel)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._plan(full, module, fun, arity, kernel)
        exits, action, value, higher, after, after_value = plan
        if exits:
            s.exits.setdefault(label, None)
        if action is not None:
            getattr(s, action).setdefault(label, value)
            return
        if higher and _passes_function_arg(n):
            s.foreign.setdefault(label, None)
            return
        if after == _ADD:
            for e in after_value:
                s.raises.setdefault(e, label)
        elif after == _UNKNOWN:
            s.unknown.setdefault(label, after_value)
        elif after == _PROJECT:
            if not self._project_call(module, fun, label, s):
                s.unknown.setdefault(label, "")
                s.remote.setdefault(label, full)

    def _plan(self, full: str, module: str, fun: str, arity: int, kernel: bool) -> tuple:
        """The part of `_remote` that depends on the callee alone, in its order: (the call
        may exit, the Summary field set at once and its value (None: go on), whether it is
        a higher-order call (a function argument makes it foreign), then what to do:
        `_ADD` the exceptions, `_UNKNOWN` with a reason, `_PROJECT` (ask the project's
        facts, else unknown and remote) or `_NOTHING`, with its value)."""
        keyed = f"{full}/{arity}"
        exits = keyed in self.exits or full in self.exits
        if full in (":erlang.raise", ":erlang.error", "Kernel.raise", "Kernel.reraise"):
            return exits, "unknown", "raises a value chosen at runtime", False, _NOTHING, None
        if full in (":erlang.throw", "Kernel.throw"):
            return exits, "throws", None, False, _NOTHING, None
        if full in table.FOREIGN_CODE:
            return exits, "foreign", None, False, _NOTHING, None
        higher = _is_higher_order(full, module, fun)
        if kernel:
            short = fun
            user = self.raisers.get(f"{short}/{arity}", self.raisers.get(short))
        else:
            user = None
        if user is None:
            user = self.raisers.get(keyed, self.raisers.get(full))
        if user is None and (keyed in self.user_exits or full in self.user_exits):
            user = ()  # declared by the user as a call that exits: known, raises nothing listed
        if user is not None:
            return exits, None, None, higher, _ADD, tuple(user)
        if full in table.ADAPTER_SPECIFIC:
            return exits, None, None, higher, _UNKNOWN, table.ADAPTER_SPECIFIC[full]
        known = table.BUILTIN.get(keyed, table.BUILTIN.get(full))
        if known is not None:
            return exits, None, None, higher, _ADD, tuple(known)
        if module in table.MODULE_WIDE:
            if full not in table.MODULE_WIDE_EXCEPT:
                return exits, None, None, higher, _ADD, tuple(table.MODULE_WIDE[module])
            return exits, None, None, higher, _NOTHING, None
        if table.is_repo_module(module):
            if fun in table.REPO_ADAPTER_SPECIFIC:
                return exits, None, None, higher, _UNKNOWN, "raises the database adapter's exception"
            if fun in table.REPO:
                return exits, None, None, higher, _ADD, tuple(table.REPO[fun])
            return exits, None, None, higher, _PROJECT, None
        if kernel:
            if fun in table.KERNEL_NAMES:
                return exits, None, None, higher, _NOTHING, None
            return exits, None, None, higher, _UNKNOWN, ""
        if full in table.ERLANG_SAFE or module in table.COMPLETE_MODULES:
            return exits, None, None, higher, _NOTHING, None
        return exits, None, None, higher, _PROJECT, None


def _reraises_inner(call: Node, root: Node, name: str | None) -> bool:
    """`reraise e, st`, `raise e` or `:erlang.raise(k, r, st)` in a rescue/catch clause of a
    try nested in the analysed code: it re-raises what that try caught from its own body,
    which the analysis already counted."""
    if name in ("reraise", ":erlang.raise"):
        pass
    elif name == "raise":
        args = call_args(call)
        if len(args) != 1 or args[0].type != "identifier":
            return False
    else:
        return False
    n = call.parent
    while n is not None and n != root:
        if n.type in ("rescue_block", "catch_block"):
            return True
        n = n.parent
    return False


def _fn_clause_can_fail(clause: Node) -> bool:
    """An `fn` clause that does not match every argument (a zero-arity clause matches)."""
    if clause.child_by_field_name("left") is None:
        return False
    return _pattern_can_fail(clause_patterns(clause))


def _pattern_can_fail(pats: list[Node] | None) -> bool:
    """Patterns that do not match everything (None: a guarded clause)."""
    if pats is None:
        return True
    return any(p.type != "identifier" for p in pats)


def _heads_can_fail(heads: list) -> bool:
    """Some arity of the function has no clause that matches every argument (`heads`: the
    `def_head` of each of its clauses, as `ModuleInfo.heads` keeps them)."""
    by_arity: dict[int, list[bool]] = {}
    for head in heads:
        params = call_args(head[1]) if head is not None and head[1] is not None and head[1].type == "call" else []
        by_arity.setdefault(len(params), []).append(_head_can_fail(head, params))
    return any(all(group) for group in by_arity.values())


def _head_can_fail(head: tuple | None, params: list[Node]) -> bool:
    """A clause (its `def_head` and `def_params`) that does not match every argument."""
    if head is None:
        return True
    if head[2] is not None:
        return True
    for p in params:
        if p.type == "binary_operator" and operator(p) == "\\\\":
            p = p.child_by_field_name("left")
        if p is None or p.type != "identifier":
            return True
    return False


def _has_catch_all(clauses: list[Node]) -> bool:
    for clause in clauses:
        pats = clause_patterns(clause)
        if pats and len(pats) == 1 and is_catch_all_var(pats[0]):
            return True
    return False


def _is_truthy_literal(pats: list[Node] | None) -> bool:
    if not pats or len(pats) != 1:
        return False
    p = pats[0]
    if p.type == "boolean":
        return text_of(p) == "true"
    return p.type in ("atom", "integer", "float", "string", "quoted_atom") and text_of(p) not in (":false", ":nil")


def _expand(module: str, info: ModuleInfo) -> str:
    return _expand_module_text(module, info)


def _arity(call: Node) -> int:
    """The arity of a call: `&f/2` gives 2; a call piped into counts its piped argument
    (as `len(effective_args(call))`)."""
    parent = call.parent
    piped = 0
    if parent is not None and parent.type == "binary_operator":
        op_node = parent.child_by_field_name("operator")  # `operator(parent)`, inlined
        op = text_of(op_node) if op_node is not None else None
        if op == "/":
            if (
                parent.child_by_field_name("left") == call
                and parent.parent is not None
                and parent.parent.type == "unary_operator"
                and operator(parent.parent) == "&"
            ):
                right = parent.child_by_field_name("right")
                if right is not None and right.type == "integer":
                    return int(text_of(right))
        elif op == "|>":
            if parent.child_by_field_name("right") == call and parent.child_by_field_name("left") is not None:
                piped = 1
    args = arguments_node(call)
    if args is None:
        return piped
    count = args.named_child_count
    if count and b"#" in args.text:  # a comment (it starts with `#`) is no argument
        count = sum(1 for c in args.named_children if c.type != "comment")
    return piped + count


def _piped(call: Node) -> bool:
    return is_piped_into(call)


def _unsafe_inspect(call: Node) -> bool:
    """`inspect(value, opts)` whose options may say `safe: false`: the value's own Inspect
    implementation then runs unprotected (foreign code)."""
    args = call_args(call)
    if _piped(call):
        args = [None] + args
    if len(args) < 2:
        return False
    opts = args[1]
    if opts is None or opts.type not in ("keywords", "list"):
        return True
    return "safe" in text_of(opts)


def _capture_arity(amp: Node) -> int | None:
    inner = amp.child_by_field_name("operand")
    right = inner.child_by_field_name("right") if inner is not None else None
    if right is not None and right.type == "integer":
        return int(text_of(right))
    return None


def _is_plain_capture(amp: Node) -> bool:
    inner = amp.child_by_field_name("operand")
    left = inner.child_by_field_name("left") if inner is not None else None
    return left is not None and left.type == "identifier"


def _in_pattern(node: Node, root: Node) -> bool:
    child, parent = node, node.parent
    while parent is not None and child != root:
        if parent.type == "stab_clause" and parent.child_by_field_name("left") == child:
            return True
        if parent.type == "binary_operator" and operator(parent) in ("<-", "=", "when"):
            if parent.child_by_field_name("left") == child:
                return True
        child, parent = parent, parent.parent
    return False


def _is_higher_order(full: str, module: str, fun: str) -> bool:
    return (module in HIGHER_ORDER_MODULES and fun in HIGHER_ORDER_NAMES) or full in HIGHER_ORDER_CALLS or (
        module == "Kernel" and f"{fun}" in HIGHER_ORDER_CALLS
    )


def _passes_function_arg(call: Node) -> bool:
    """A bare variable (not `_`-prefixed) in a function position of a higher-order call."""
    args = call_args(call)
    first_fun_position = 0 if _piped(call) else 1
    for arg in args[first_fun_position:]:
        if arg.type == "identifier" and not text_of(arg).startswith("_"):
            return True
    return False


def exception_list(names: list[str]) -> str:
    return names[0] if len(names) == 1 else "[" + ", ".join(names) + "]"


def alias_conflicts(names: Iterable[str], info: ModuleInfo) -> list[str]:
    """Exception names whose first segment an alias of the module would redirect."""
    out = []
    for name in names:
        first = name.split(".", 1)[0]
        target = info.aliases.get(first)
        if target is not None and target != first:
            out.append(name)
    return out


def handled_exceptions(clauses: list[Node], info: ModuleInfo) -> set[str]:
    """Exception modules named by rescue clauses (`e in X`, `e in [X, Y]`, `X ->`)."""
    out: set[str] = set()
    for clause in clauses:
        pats = clause_patterns(clause)
        if not pats or len(pats) != 1:
            continue
        p = pats[0]
        if p.type == "binary_operator" and operator(p) == "in":
            p = p.child_by_field_name("right")
        if p is None:
            continue
        items = p.named_children if p.type == "list" else [p]
        for item in items:
            if item.type == "alias":
                out.add(_expand(text_of(item), info))
    return out


def label_list(labels: Iterable[str], limit: int = 6) -> str:
    labels = list(labels)
    shown = labels[:limit]
    more = len(labels) - len(shown)
    text = ", ".join(shown)
    return text + (f" and {more} more" if more > 0 else "")


def options_raisers(options: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    raw = options.get("raisers") or {}
    if not isinstance(raw, Mapping):
        raise ValueError("option `raisers` must map \"Module.fun\" to a list of exception modules")
    out = {}
    for key, value in raw.items():
        if isinstance(value, str):
            value = [value]
        if not isinstance(key, str) or not all(isinstance(v, str) for v in value):
            raise ValueError("option `raisers` must map \"Module.fun\" to a list of exception modules")
        out[key] = tuple(value)
    return out


def summary_to_facts(summary: Summary) -> dict[str, Any]:
    """A picklable, order-keeping form of a Summary (locals are already followed)."""
    return {
        "raises": dict(summary.raises),
        "unknown": dict(summary.unknown),
        "foreign": list(summary.foreign),
        "exits": list(summary.exits),
        "throws": list(summary.throws),
        "remote": dict(summary.remote),
        "locals": list(summary.locals),
    }


_DEFMODULE_QUERY = '(call target: (identifier) @k (#eq? @k "defmodule")) @m'


def shared_module_facts(
    source: Any, raisers: Mapping[str, Iterable[str]], exits: Iterable[str] = ()
) -> dict[str, dict[str, dict[str, Any]]]:
    """`collect_module_facts` for a parsed file, computed once per file and options: both
    rules collect the same facts, and the engine hands them the same Source object. The
    result is read-only."""
    key = (tuple(sorted((k, tuple(v)) for k, v in raisers.items())), tuple(exits))
    memo = source.__dict__.setdefault("_otpfix_protected_facts", {})
    if key not in memo:
        memo[key] = collect_module_facts(source.root, raisers, exits, source.data, module_memo(source))
    return memo[key]


def module_memo(source: Any) -> dict:
    """Per-parsed-file memo of `module_info` (see there), shared by `collect` and both
    rules' `wanted` and `check` on the same Source."""
    return source.__dict__.setdefault("_otpfix_module_info", {})


def defmodule_calls(root: Node, data: bytes | None = None) -> list[Node]:
    """The `defmodule` calls under `root` in document order. Given the file's bytes, found
    from the occurrences of `defmodule` (the identifier leaf at each, when it is a call's
    target) instead of a query over the whole tree; a tree with syntax errors uses the
    query."""
    if data is None or root.has_error:
        cursor = QueryCursor(compile_query(_DEFMODULE_QUERY))
        return sorted(cursor.captures(root).get("m", []), key=lambda n: n.start_byte)
    out = []
    i = data.find(b"defmodule")
    while i != -1:
        n = root.descendant_for_byte_range(i, i + 9)
        if n is not None and n.type == "identifier" and n.start_byte == i and n.end_byte == i + 9:
            call = n.parent
            if call is not None and call.type == "call" and call.child_by_field_name("target") == n:
                out.append(call)
        i = data.find(b"defmodule", i + 9)
    return out


def collect_module_facts(
    root: Node,
    raisers: Mapping[str, Iterable[str]],
    exits: Iterable[str] = (),
    data: bytes | None = None,
    memo: dict | None = None,
) -> dict[str, dict[str, dict[str, Any]]]:
    """{full module name: {function: facts}} for every module defined in a file (`data`:
    the file's bytes, when `root` is its root, to find the modules faster; `memo`: see
    `module_info`)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    modules = defmodule_calls(root, data)
    for node in modules:
        if in_quote(node):
            continue
        info = module_info(node, memo=memo)
        if info.name is None:
            continue
        facts = Analyzer(info, raisers, exits).module_facts()
        out.setdefault(info.name, {}).update(facts)
    return out


def merge_project(project: Mapping[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """Facts of every file ({path: {module: {fun: facts}}}) as {module: {fun: facts}}; a
    function defined in several files gets the union of their facts."""
    merged: dict[str, dict[str, dict[str, Any]]] = {}
    for path in sorted(project):
        for module, funs in (project[path] or {}).items():
            _merge_funs(merged.setdefault(module, {}), funs)
    return merged


# -- demand-driven project facts ----------------------------------------------------------------
#
# The only place the analysis reads project facts is `Analyzer._project_call`:
# `self.project.get(module, {})` (is `fun` defined there?), then, for a function the project
# defines, its facts, which lead to `locals` of the same module and to `remote` targets in
# other modules. Which (module, fun) pairs are looked up first depends only on the file under
# check, never on the facts (a hit or a miss changes the summary, not which calls are
# visited), so running the analysis once with a recorder in place of the project gives every
# first lookup; the lookups reached by following facts are what `next_segments` covers.


class _Probe:
    """What a recorded module lookup returns: an empty container noting what was asked."""

    __slots__ = ("funs",)

    def __init__(self, funs: set[str]) -> None:
        self.funs = funs

    def __contains__(self, fun: object) -> bool:
        self.funs.add(fun)  # type: ignore[arg-type]
        return False


class LookupRecorder:
    """Stands in for the merged project in an Analyzer: defines nothing, and records which
    functions of which modules were looked up ({module: {fun}})."""

    def __init__(self) -> None:
        self.lookups: dict[str, set[str]] = {}

    def get(self, module: str, default: Any = None) -> Any:
        return _Probe(self.lookups.setdefault(module, set()))


class ProjectView:
    """The merged project of `merge_project`, merged one module at a time when the analysis
    first asks for it (same content, in the same order, for every module asked)."""

    def __init__(self, project: Mapping[str, Any]) -> None:
        self._project = project
        self._paths: list[str] | None = None
        self._merged: dict[str, dict[str, dict[str, Any]] | None] = {}

    def get(self, module: str, default: Any = None) -> Any:
        if module not in self._merged:
            self._merged[module] = self._merge(module)
        found = self._merged[module]
        return default if found is None else found

    def __getitem__(self, module: str) -> dict[str, dict[str, Any]]:
        found = self.get(module)
        if found is None:
            raise KeyError(module)
        return found

    def _merge(self, module: str) -> dict[str, dict[str, Any]] | None:
        if self._paths is None:
            self._paths = sorted(self._project)
        target: dict[str, dict[str, Any]] | None = None
        for path in self._paths:
            funs = (self._project[path] or {}).get(module)
            if funs is None:
                continue
            if target is None:
                target = {}
            _merge_funs(target, funs)
        return target


def _merge_funs(target: dict[str, dict[str, Any]], funs: Mapping[str, Any]) -> None:
    for fun, facts in funs.items():
        if fun not in target:
            target[fun] = facts
        else:
            union = {k: (dict(v) if isinstance(v, dict) else list(v)) for k, v in target[fun].items()}
            for k, v in facts.items():
                if isinstance(v, dict):
                    for kk, vv in v.items():
                        union[k].setdefault(kk, vv)
                else:
                    union[k] += [x for x in v if x not in union[k]]
            target[fun] = union


def _module_key(module: str) -> bytes:
    # A name without an alias segment is no module's name in any file's facts: a key no
    # file provides.
    key = module_key(module)
    return key if key is not None else module.encode("utf-8")


def want_of(module: str, fun: str) -> bytes | None:
    """The wanted key of the facts of `module.fun`: `b"C/fun"` for module `A.B.C`, which
    every file whose facts can define it provides as `C` (`Transform.provides`,
    `syntax.defined_module_keys`: a file defining `A.B.C` has `C` after a `defmodule`),
    and which `wanted_next` follows function by function. None when no file's facts can
    (project modules are named by aliases, so an Erlang module `:foo` is never one)."""
    if module.startswith(":"):
        return None
    return _module_key(module) + b"/" + fun.encode("utf-8")


def lookup_segments(lookups: Iterable[Mapping[str, Iterable[str]]]) -> list[bytes]:
    """`wanted` of a file from the lookups its analyses made ({module: {fun}})."""
    out: dict[bytes, None] = {}
    for rec in lookups:
        for module, funs in rec.items():
            for fun in sorted(funs):
                want = want_of(module, fun)
                if want is not None:
                    out.setdefault(want, None)
    return list(out)


def next_segments(
    facts: Mapping[str, Mapping[str, Mapping[str, Any]]] | None, keys: frozenset[bytes] | None = None
) -> list[bytes]:
    """`wanted_next` of a file's facts: every function `_project_call` can go on to from
    the functions wanted of them (`keys`, as `want_of` makes them; None: all of them):
    their `remote` targets, and `locals` of the same module, which another file may
    define too."""
    out: dict[bytes, None] = {}
    for module, funs in (facts or {}).items():
        mkey = _module_key(module)
        if keys is not None and mkey in keys:
            keys = None  # a bare module key: every function of it
        for name, f in funs.items():
            if keys is not None and mkey + b"/" + name.encode("utf-8") not in keys:
                continue
            for target in f["remote"].values():
                t_mod, _, t_fun = target.rpartition(".")
                want = want_of(t_mod, t_fun)
                if want is not None:
                    out.setdefault(want, None)
            for local in f["locals"]:
                want = want_of(module, local)
                if want is not None:
                    out.setdefault(want, None)
    return list(out)


# `def` / `defp` as a whole identifier: not after a word byte or `.:@` (`undef`,
# `Kernel.def`, `:def`, `@def`), not before a word byte or `?!:` (`defmodule`, `def?`,
# `def:`; a `defp` that is not one is tried as `def`, then followed by `p`: not one).
# Then (looked ahead: the search goes on right after the word, a `def` in a comment
# there counts too) white space, parentheses and comments, and the head's first token
# (group 1). Bytes patterns: `\w` is exactly [A-Za-z0-9_].
_DEF_NAME = re.compile(rb"def(?<![\w.:@]def)p?(?![\w?!:])(?=(?:\s|\(|#[^\n]*)*([^\s(),;]*))")
_IDENTIFIER = re.compile(r"[^\W\d]\w*[?!]?\Z")
_ASCII_IDENTIFIER = re.compile(rb"[A-Za-z_]\w*[?!]?\Z")


@lru_cache(maxsize=1)
def function_keys(data: bytes) -> tuple[bytes, ...] | None:
    """`Mod/fun` keys of the facts a file can have (`RaiserFacts.provides`): every module
    key (`syntax.defined_module_keys`) with every function name of the file. A function's
    name in the facts is `def_head`'s: the identifier that starts the head, i.e. the first
    token after `def`/`defp` (past white space, parentheses and comments). When some
    `def`/`defp` is followed by anything else, the file provides its bare module keys
    (every function of those modules). Remembers the last file (both rescue rules ask for
    the same bytes)."""
    modules = defined_module_keys(data)
    if modules is None:
        return None
    names: set[bytes] = set()
    for found in _DEF_NAME.finditer(data):
        token = found.group(1)
        if not _ASCII_IDENTIFIER.match(token):
            try:
                text = token.decode("utf-8")
            except UnicodeDecodeError:
                return tuple(modules)
            if not _IDENTIFIER.match(text):
                return tuple(modules)  # an operator, a pattern, unquote(...): any function
        names.add(token)
    return tuple(m + b"/" + n for m in modules for n in sorted(names))


class RaiserFacts:
    """The cross-file part shared by narrow-rescue and broad-catch: what each function of
    the project raises (`collect`), found by key (`provides`: the modules a file defines;
    `wanted`: `Mod/fun` for every function the check looks up; `wanted_next`: what those
    functions call). Needs `_raisers`, `_exits` and `_recorded(ctx)` on the rule."""

    _raisers: Mapping[str, Iterable[str]]
    _exits: tuple[str, ...] = ()

    def _recorded(self, ctx: Any) -> list[tuple[Any, dict[str, set[str]]]]:
        raise NotImplementedError

    def collect(self, ctx: Any) -> Any:
        """What each function of the file's modules raises, exits with or leaves unknown,
        so that calls from other files resolve."""
        return shared_module_facts(ctx.source, self._raisers, self._exits) or None

    def provides(self, data: bytes) -> list[bytes] | None:
        """Facts are per function of a module: `Mod/fun` for every module the file
        defines (its last segment) and every function name a `def`/`defp` of the file
        gives (see `function_keys`)."""
        return function_keys(data)

    def wanted(self, ctx: Any) -> list[bytes]:
        """`Mod/fun` (`want_of`) for every function the check looks up in the project."""
        return lookup_segments(lookups for _, lookups in self._recorded(ctx))

    def wanted_next(self, facts: Any, keys: frozenset[bytes] | None = None) -> list[bytes]:
        return next_segments(facts, keys)

    def facts_key(self) -> tuple:
        """narrow-rescue and broad-catch collect the same facts when their options agree."""
        return ("raiser-facts", option_key(self._raisers, self._exits))


def memo_of(source: Any) -> dict:
    """Per-parsed-file memo shared by `wanted` and `check` (the engine hands both the same
    Source; a fixed file is a new Source, so nothing stale is reused)."""
    return source.__dict__.setdefault("_otpfix_protected_memo", {})


def option_key(raisers: Mapping[str, Iterable[str]], exits: Iterable[str] = ()) -> tuple:
    return (tuple(sorted((k, tuple(v)) for k, v in raisers.items())), tuple(exits))


def recorded(
    source: Any,
    key: tuple,
    work: list[tuple[ModuleInfo, list[Node]]],
    raisers: Mapping[str, Iterable[str]],
    exits: Iterable[str] = (),
) -> list[tuple[Summary, dict[str, set[str]]]]:
    """For each (module info, protected body): its summary without project facts and the
    project lookups it made (memoised on the source)."""
    memo = memo_of(source)
    if key not in memo:
        out = []
        for info, body in work:
            rec = LookupRecorder()
            summary = Analyzer(info, raisers, exits, rec).summarize(body)  # type: ignore[arg-type]
            out.append((summary, rec.lookups))
        memo[key] = out
    return memo[key]


def summaries(
    source: Any,
    key: tuple,
    work: list[tuple[ModuleInfo, list[Node]]],
    raisers: Mapping[str, Iterable[str]],
    exits: Iterable[str],
    project: Mapping[str, Any],
) -> list[Summary]:
    """The summary of each (module info, protected body) with the project's facts. When
    `wanted` recorded the summaries on this same parse, the recorded one is reused where
    the project defines none of the functions it looked up (every lookup then misses,
    exactly as with no facts); the others are computed again with the facts."""
    memo = memo_of(source)
    if key not in memo:  # `wanted` did not run on this parse: analyse with the facts once
        view = ProjectView(project)
        return [Analyzer(info, raisers, exits, view).summarize(body) for info, body in work]  # type: ignore[arg-type]
    view = None
    out = []
    for (info, body), (summary, lookups) in zip(work, memo[key]):
        if lookups:
            if view is None:
                view = ProjectView(project)
            if any(fun in view.get(module, {}) for module, funs in lookups.items() for fun in funs):
                summary = Analyzer(info, raisers, exits, view).summarize(body)  # type: ignore[arg-type]
        out.append(summary)
    return out


def clause_blocks(source: Any, block_type: str, keyword: bytes) -> list[Node]:
    """The `rescue_block`s (or `catch_block`s) of a file in document order, found from the
    keyword's occurrences (every such block starts with its keyword token) instead of a
    query over the whole tree; a tree with syntax errors uses the query."""
    root = source.root
    if root.has_error:
        return source.captures(f"({block_type}) @b", "b")
    data = source.data
    kw = keyword.decode()
    out = []
    i = data.find(keyword)
    while i != -1:
        n = root.descendant_for_byte_range(i, i + len(keyword))
        if n is not None and n.type == kw and n.start_byte == i:
            parent = n.parent
            if parent is not None and parent.type == block_type and parent.start_byte == i:
                out.append(parent)
        i = data.find(keyword, i + 1)
    return out
