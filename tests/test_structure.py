"""The shape of the code, as decided: every architectural rule that can be checked is here.

- no import circles; the core (everything but `bot.discord_app` and `cogs`) knows nothing of
  Discord; `bot/` never imports `cogs` nor the emulator (`mps_emulator`);
- cogs import only the Discord layer (`bot.discord_app`), the services (`bot.services`),
  and the small value types they build from options (`COG_VALUE_TYPES`); the `/settings`
  group's extension also imports its parts (`cogs.settings_*`);
- only `bot.storage` imports a database driver (aiosqlite, asyncpg, sqlite3);
- at most six modules at the top of `bot/`; cogs under 150 lines, every module under 400;
- cogs are loaded by name, and the name list holds every extension in `cogs/`;
- buttons name the method they call: no `getattr` dispatch in the Discord layer, and every
  button class has its own `callback`;
- every locale key passed to `t`/`say` (or a refusal) is written out whole, or comes from a
  literal mapping, and exists in both English and Chinese;
- one refusal class; locale and test files named after features, never after a phase of work.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "cogs", "mps_emulator")
# Everything outside these may be used by any front end, so it must not import discord.
DISCORD_SIDE = ("bot.discord_app", "cogs")
# What cogs build from their options besides service calls: the image and video options,
# and the tunables' lists of choices (aspects, resolutions).
COG_VALUE_TYPES = ("bot.asks.images", "bot.asks.videos", "bot.config.tunables")
COG_LAYERS = ("bot.discord_app", "bot.services", *COG_VALUE_TYPES)
# Exceptions made with a locale key: the refusal, and two result failures (a file that
# cannot be prepared for upload, a video that cannot be transcoded), which are not refusals.
# (Refusal's subclasses pass their key to `super().__init__`, checked as well.)
KEYED_EXCEPTIONS = ("Refusal", "UploadError", "TranscodeError")
PHASE_WORDS = re.compile(r"hardening|robust|phase|wave|step\d", re.IGNORECASE)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    found = {}
    for package in packages:
        for path in (ROOT / package.replace(".", "/")).rglob("*.py"):
            found[module_name(path)] = path
    return found


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Every module of ours that `name` imports, at any level (TYPE_CHECKING included: a
    circle that only type checkers see still says two modules know each other)."""
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(parse(path)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # `from pkg import mod` imports the submodule when there is one.
            targets = [f"{prefix}.{alias.name}" for alias in node.names] + [prefix]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and known[target].name != "__init__.py":
                out.add(target)
    return out


def raw_imports(path: Path) -> set[str]:
    """Every absolute module name a file imports (third-party ones included)."""
    out: set[str] = set()
    for node in ast.walk(parse(path)):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level:
            out.add(node.module or "")
    return out


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, known) for name, path in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
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
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


# -- imports ------------------------------------------------------------------------------


def test_the_checker_finds_a_circle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles() -> None:
    graph = import_graph()
    assert graph.get("bot.engine.engine") and graph.get("bot.services.jobs")
    assert cycles(graph) == []


def test_the_core_knows_nothing_of_discord() -> None:
    offenders = [
        name
        for name, path in modules(("bot",)).items()
        if not under(name, DISCORD_SIDE) and any(under(m, ("discord",)) for m in raw_imports(path))
    ]
    assert offenders == []


def test_only_storage_knows_which_database_it_is() -> None:
    # Everything else takes a `Database` (storage/base.py), whichever database is behind it.
    drivers = ("aiosqlite", "asyncpg", "sqlite3")
    offenders = {
        name: sorted(m for m in raw_imports(path) if under(m, drivers))
        for name, path in modules(("bot", "cogs")).items()
        if not under(name, ("bot.storage",))
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_bot_never_imports_cogs_nor_the_emulator() -> None:
    offenders = {
        name: sorted(m for m in raw_imports(path) if under(m, ("cogs", "mps_emulator")))
        for name, path in modules(("bot",)).items()
    }
    assert {name: found for name, found in offenders.items() if found} == {}
    text = "\n".join(path.read_text(encoding="utf-8") for path in modules(("bot",)).values())
    assert "import_module(" not in text and "__import__(" not in text


def test_cogs_import_only_the_discord_layer_the_services_and_value_types() -> None:
    offenders = {}
    for name, targets in import_graph().items():
        if not under(name, ("cogs",)):
            continue
        # The /settings extension assembles its group from its parts.
        parts = {t for t in targets if t.startswith("cogs.settings_")}
        wrong = sorted(
            t
            for t in targets - (parts if name == "cogs.settings" else set())
            if not under(t, COG_LAYERS)
        )
        if wrong:
            offenders[name] = wrong
    assert offenders == {}
    assert import_graph()["cogs.imagine"] >= {"bot.discord_app.client", "bot.asks.images"}


# -- sizes ----------------------------------------------------------------------------------


def test_at_most_six_modules_at_the_top_of_bot() -> None:
    top = sorted(p.name for p in (ROOT / "bot").glob("*.py"))
    assert len(top) <= 6, top


def test_cogs_are_short_and_modules_small() -> None:
    lines = {name: len(path.read_text().splitlines()) for name, path in modules().items()}
    assert {n: c for n, c in lines.items() if under(n, ("cogs",)) and c > 150} == {}
    assert {n: c for n, c in lines.items() if c > 400} == {}


# -- the Discord layer ----------------------------------------------------------------------


def _setup_modules() -> set[str]:
    found = set()
    for name, path in modules(("cogs",)).items():
        tree = parse(path)
        if any(isinstance(n, ast.AsyncFunctionDef) and n.name == "setup" for n in tree.body):
            found.add(name)
    return found


def test_cogs_are_loaded_by_name_every_one() -> None:
    from bot.discord_app.client import EXTENSIONS

    assert sorted(EXTENSIONS) == sorted(_setup_modules())
    # The modules without `setup` are the parts of the /settings group, which its
    # extension assembles.
    parts = set(modules(("cogs",))) - _setup_modules() - {"cogs"}
    assert parts and all(p.startswith("cogs.settings_") for p in parts)
    assert parts <= import_graph()["cogs.settings"]


def test_no_dispatch_by_name_and_every_button_names_its_method() -> None:
    dispatch = []
    for name, path in modules(("bot.discord_app", "cogs")).items():
        for node in ast.walk(parse(path)):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "getattr"
                and len(node.args) >= 2
                and not isinstance(node.args[1], ast.Constant)
            ):
                dispatch.append(f"{name}:{node.lineno}")
    assert dispatch == []
    from bot.discord_app.buttons import ALL_BUTTONS
    from bot.discord_app.mod_buttons import MODERATION_BUTTONS
    from bot.discord_app.tool_buttons import TOOL_BUTTONS

    for button in (*ALL_BUTTONS, *TOOL_BUTTONS, *MODERATION_BUTTONS):
        assert "callback" in vars(button), button.__name__


# -- locale keys ----------------------------------------------------------------------------


def _catalogues() -> tuple[dict[str, str], dict[str, str]]:
    from bot.text.i18n import merged_json

    folder = ROOT / "bot" / "text" / "locales"
    return merged_json(folder / "en-US"), merged_json(folder / "zh-CN")


def _literal_dicts() -> dict[str, list[ast.expr]]:
    """Module-level `NAME = {...}` of every module, by name: their values, if all strings."""
    found: dict[str, list[ast.expr]] = {}
    for path in modules(("bot", "cogs")).values():
        for node in parse(path).body:
            target = node.targets[0] if isinstance(node, ast.Assign) else None
            if isinstance(node, ast.AnnAssign):
                target = node.target
            value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
            if (
                isinstance(target, ast.Name)
                and isinstance(value, ast.Dict)
                and all(
                    isinstance(v, ast.Constant) and isinstance(v.value, str) for v in value.values
                )
            ):
                found[target.id] = list(value.values)
    return found


def _module_tuples(tree: ast.Module) -> dict[str, ast.expr]:
    out = {}
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(
            node.value, (ast.Tuple, ast.List)
        ):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            if isinstance(target, ast.Name):
                out[target.id] = node.value
    return out


class KeyChecker:
    """Finds where each key passed to `t`/`say`/a keyed exception comes from; every
    literal it reaches is collected (to check it exists), anything else is refused."""

    def __init__(self, dicts: dict[str, list[ast.expr]]) -> None:
        self.dicts = dicts
        self.literals: list[tuple[str, str]] = []  # (where, key)
        self.refused: list[str] = []

    def check(self, expr: ast.expr, scope: ast.AST, tuples: dict[str, ast.expr], where: str):
        if not self._ok(expr, scope, tuples, where, depth=0):
            self.refused.append(f"{where}: {ast.unparse(expr)}")

    def _strings(self, exprs: list[ast.expr], where: str) -> bool:
        if not all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in exprs):
            return False
        self.literals += [(where, e.value) for e in exprs]  # type: ignore[union-attr]
        return True

    def _ok(self, expr, scope, tuples, where, depth) -> bool:
        if depth > 5:
            return False
        match expr:
            case ast.Constant(value=str()):
                return self._strings([expr], where)
            case ast.IfExp(body=body, orelse=orelse):
                return all(self._ok(e, scope, tuples, where, depth + 1) for e in (body, orelse))
            case ast.Attribute(attr="key"):
                return True  # a keyed exception's key: checked where it is raised
            case ast.Subscript(value=mapping) if self._dict(mapping) is not None:
                return self._strings(self._dict(mapping), where)
            case ast.Call(func=ast.Attribute(value=mapping, attr="get"), args=[_, default]) if (
                self._dict(mapping) is not None
            ):
                return self._strings(self._dict(mapping), where) and self._ok(
                    default, scope, tuples, where, depth + 1
                )
            case ast.Name(id=name):
                return self._name(name, scope, tuples, where, depth)
        return False

    def _dict(self, expr: ast.expr) -> list[ast.expr] | None:
        name = expr.id if isinstance(expr, ast.Name) else getattr(expr, "attr", None)
        return self.dicts.get(name) if name else None

    def _name(self, name, scope, tuples, where, depth) -> bool:
        bindings = []
        for node in ast.walk(scope):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets
            ):
                bindings.append(self._ok(node.value, scope, tuples, where, depth + 1))
            elif isinstance(node, (ast.For, ast.comprehension)):
                position = _position(node.target, name)
                if position is not None:
                    bindings.append(self._iterated(node.iter, position, scope, tuples, where))
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                a.arg == name for a in node.args.args
            ):
                # The key parameter of a wrapper whose own calls are checked (`say`, a
                # keyed exception's `__init__`).
                bindings.append(name == "key" and node.name in ("say", "__init__"))
        return bool(bindings) and all(bindings)

    def _iterated(self, iterable, position, scope, tuples, where) -> bool:
        if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Attribute):
            if iterable.func.attr == "items" and self._dict(iterable.func.value) is not None:
                return position == 1 and self._strings(self._dict(iterable.func.value), where)
            return False
        if isinstance(iterable, ast.Name):
            local = [
                n.value
                for n in ast.walk(scope)
                if isinstance(n, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == iterable.id for t in n.targets)
            ]
            iterable = local[0] if len(local) == 1 else tuples.get(iterable.id)
        if not isinstance(iterable, (ast.Tuple, ast.List)):
            return False
        items = []
        for element in iterable.elts:
            if not isinstance(element, ast.Tuple) or len(element.elts) <= position:
                return False
            items.append(element.elts[position])
        return self._strings(items, where)


def _position(target: ast.expr, name: str) -> int | None:
    if isinstance(target, ast.Tuple):
        for i, element in enumerate(target.elts):
            if isinstance(element, ast.Name) and element.id == name:
                return i
    return None


def _key_argument(call: ast.Call, classes: list[ast.ClassDef]) -> ast.expr | None:
    func = call.func
    if isinstance(func, ast.Name) and func.id in ("t", "say") and len(call.args) >= 2:
        return call.args[1]
    if isinstance(func, ast.Name) and func.id in KEYED_EXCEPTIONS and call.args:
        return call.args[0]
    if (
        isinstance(func, ast.Attribute)
        and func.attr == "__init__"
        and isinstance(func.value, ast.Call)
        and getattr(func.value.func, "id", None) == "super"
        and classes
        and any(getattr(b, "id", None) in KEYED_EXCEPTIONS for b in classes[-1].bases)
        and call.args
    ):
        return call.args[0]
    return None


def _calls_with_keys(tree: ast.Module):
    """(call, key expression, enclosing function or module) for every keyed call."""

    def walk(node: ast.AST, scope: ast.AST, classes: list[ast.ClassDef]):
        for child in ast.iter_child_nodes(node):
            inner_scope, inner_classes = scope, classes
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                inner_scope = child
            if isinstance(child, ast.ClassDef):
                inner_classes = [*classes, child]
            if isinstance(child, ast.Call):
                key = _key_argument(child, classes)
                if key is not None:
                    yield child, key, scope
            yield from walk(child, inner_scope, inner_classes)

    yield from walk(tree, tree, [])


def test_locale_keys_are_written_out_and_exist_in_both_languages() -> None:
    checker = KeyChecker(_literal_dicts())
    calls = 0
    for name, path in modules(("bot", "cogs")).items():
        tree = parse(path)
        tuples = _module_tuples(tree)
        for call, key, scope in _calls_with_keys(tree):
            calls += 1
            checker.check(key, scope, tuples, f"{name}:{call.lineno}")
    assert calls > 200
    assert checker.refused == []
    english, chinese = _catalogues()
    missing = sorted(
        {f"{where}: {key}" for where, key in checker.literals if key not in english}
        | {f"{where}: {key} (zh-CN)" for where, key in checker.literals if key not in chinese}
    )
    assert missing == []


def test_the_key_checker_refuses_built_keys() -> None:
    source = (
        "def f(locale, name, job):\n"
        "    t(locale, f'admin.refused.{name}')\n"
        "    t(locale, 'status.' + job.state)\n"
        "    key = name\n"
        "    t(locale, key)\n"
        "    for key2 in ('a', name):\n"
        "        t(locale, key2)\n"
        "    t(locale, 'status.queued')\n"
    )
    tree = ast.parse(source)
    checker = KeyChecker({})
    for call, key, scope in _calls_with_keys(tree):
        checker.check(key, scope, {}, str(call.lineno))
    assert [r.split(":")[0] for r in checker.refused] == ["2", "3", "5", "7"]
    assert checker.literals == [("8", "status.queued")]


# -- one refusal, names -----------------------------------------------------------------------


def test_one_refusal_class() -> None:
    from bot.refusal import Refusal

    keyed = []
    for path in modules(("bot",)).values():
        for node in ast.walk(parse(path)):
            if isinstance(node, ast.ClassDef):
                stored = {
                    n.attr
                    for n in ast.walk(node)
                    if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store)
                }
                if {"key", "params"} <= stored or node.name.endswith(("Refusal", "Validation")):
                    keyed.append(node.name)
    assert sorted(keyed) == ["Refusal", "TranscodeError", "UploadError"]
    from bot.moderation.service import Blocked
    from bot.rules.asks import QueueLimitError

    assert issubclass(Blocked, Refusal) and issubclass(QueueLimitError, Refusal)


def test_files_are_named_after_features() -> None:
    files = [p for p in (ROOT / "tests").glob("test_*.py")]
    files += list((ROOT / "bot" / "text" / "locales").rglob("*.json"))
    assert [p.name for p in files if PHASE_WORDS.search(p.stem)] == []


# -- what ships ---------------------------------------------------------------------------------


def test_the_image_and_the_package_hold_what_the_bot_runs() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = project["tool"]["setuptools"]["packages"]["find"]["include"]
    assert packages == ["bot*", "cogs*"]
    copied = [
        line.split()[1]
        for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
        if line.startswith("COPY ")
    ]
    assert "bot" in copied and "cogs" in copied
    assert not {"bench", "tests", "mps_emulator"} & set(copied)
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {"tests", "bench", "mps_emulator"} <= set(ignored)
