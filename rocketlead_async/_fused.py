"""Fused structure functions: one generated function per response model, scalar checks inline.

cattrs' generated structure function calls one hook per field; for a booking's 58 optional
scalars that is most of the decode time. The function written here does what that hook chain
does, field by field and in one frame: a value of exactly the type its strict hook passes
through unchanged is taken as it is (``type(v) is str``); anything else goes to that very hook,
which converts it (an integral float, a numeric id) or raises. So what is accepted, what is
refused and what comes out cannot differ from the hook chain; the caller keeps the cattrs path
for inputs that are not a ``dict`` and for naming the field of an error.
"""

from __future__ import annotations

import linecache
import types
from collections.abc import Callable, Mapping
from typing import Any

import attrs

__all__ = ["fused_structure_fn"]

Hook = Callable[[Any, Any], Any]


def fused_structure_fn(
    cls: type[Any],
    *,
    wire_name: Callable[[type[Any], str], str],
    hook_for: Callable[[Any], Hook],
    pass_through: Mapping[Any, type],
    optional_inner: Callable[[Any], Any],
    fallback: Hook,
) -> Hook:
    """The structure function of response model ``cls`` (its ``extra`` keeps unknown keys).

    ``hook_for(t)``: the strict hook of type ``t``; ``pass_through[t]``: the Python type whose
    values that hook returns unchanged; ``optional_inner(t)``: ``X`` for ``X | None`` (the
    converter's own test), else ``None``; ``fallback``: the structure function for any ``data``
    that is not a ``dict``.
    """
    hints = _type_hints(cls)
    fields = [a for a in attrs.fields(cls) if a.name != "extra"]
    known = frozenset(wire_name(cls, a.name) for a in fields)
    names: dict[str, Any] = {
        "__cl": cls,
        "__fallback": fallback,
        "__known": known,
        "__is_known": known.issuperset,
    }
    lines = [
        f"def structure_{cls.__name__}(o, _):",
        "    if type(o) is not dict:",
        "        return __fallback(o, _)",
    ]
    by_keyword = any(_has_other_default(a) or a.kw_only for a in fields)
    args: list[str] = []
    if by_keyword:
        lines.append("    res = {}")
    for index, a in enumerate(fields):
        key, tp, var = wire_name(cls, a.name), hints[a.name], f"v{index}"
        inner = optional_inner(tp)
        if a.default is attrs.NOTHING:
            lines.append(f"    {var} = o[{key!r}]")
            if inner is None:
                lines += _check(var, tp, index, names, hook_for, pass_through, indent=4)
            else:
                lines.append(f"    if {var} is not None:")
                lines += _check(var, inner, index, names, hook_for, pass_through, indent=8)
        elif _has_other_default(a):
            lines.append(f"    if {key!r} in o:")
            lines.append(f"        {var} = o[{key!r}]")
            lines += _check(var, tp, index, names, hook_for, pass_through, indent=8)
            lines.append(f"        res[{a.alias!r}] = {var}")
            continue
        elif inner is not None:
            # A missing key and an explicit null both give the default, None.
            lines.append(f"    {var} = o.get({key!r})")
            lines.append(f"    if {var} is not None:")
            lines += _check(var, inner, index, names, hook_for, pass_through, indent=8)
        else:
            # Default None but not Optional: a present null still goes to the field's hook.
            lines.append(f"    if {key!r} in o:")
            lines.append(f"        {var} = o[{key!r}]")
            lines += _check(var, tp, index, names, hook_for, pass_through, indent=8)
            lines.append("    else:")
            lines.append(f"        {var} = None")
        if by_keyword:
            lines.append(f"    res[{a.alias!r}] = {var}")
        else:
            args.append(var)
    setters = None if by_keyword else _slot_setters(cls, fields)
    if setters is not None:
        # The object built as attrs' __init__ would build it, but through the slots' own
        # descriptors: the frozen __init__ goes through object.__setattr__ once per field, a
        # third of a decode (checked by _slot_setters: nothing else happens in that __init__).
        names["__new"] = object.__new__
        extra_default = attrs.fields_dict(cls)["extra"].default
        names["__extra_default"] = extra_default
        for index, setter in enumerate(setters):
            names[f"__s{index}"] = setter
        lines.append("    obj = __new(__cl)")
        lines += [f"    __s{index}(obj, {var})" for index, var in enumerate(args)]
        extra = len(args)
        lines += [
            "    if __is_known(o):",
            f"        __s{extra}(obj, __extra_default)",
            "    else:",
            f"        __s{extra}(obj, {{k: o[k] for k in o if k not in __known}})",
            "    return obj",
        ]
        return _compile(cls, "\n".join(lines) + "\n", names)
    call = "**res" if by_keyword else ", ".join(args)
    lines += [
        "    if __is_known(o):",
        f"        return __cl({call})",
        f"    return __cl({call}, extra={{k: o[k] for k in o if k not in __known}})",
    ]
    return _compile(cls, "\n".join(lines) + "\n", names)


def _slot_setters(cls: type[Any], fields: list[attrs.Attribute[Any]]) -> list[Any] | None:
    """The slot descriptors' setters of ``fields`` + ``extra``, in that order, if attrs'
    ``__init__`` of ``cls`` does nothing but store its arguments: no validator, converter,
    pre/post-init hook, factory default for ``extra``, or slot beyond the fields (a cached
    hash); else ``None``, and the function calls the class."""
    all_fields = attrs.fields(cls)
    extra = attrs.fields_dict(cls).get("extra")
    if (
        extra is None
        or isinstance(extra.default, attrs.Factory)  # type: ignore[arg-type]
        or any(a.validator or a.converter or not a.init for a in all_fields)
        or hasattr(cls, "__attrs_pre_init__")
        or hasattr(cls, "__attrs_post_init__")
    ):
        return None
    slots = {name for klass in cls.__mro__ for name in getattr(klass, "__slots__", ())}
    if slots - {a.name for a in all_fields} - {"__weakref__"}:
        return None
    setters = []
    for name in [a.name for a in fields] + ["extra"]:
        descriptor = getattr(cls, name, None)
        if not isinstance(descriptor, types.MemberDescriptorType):
            return None
        setters.append(descriptor.__set__)
    return setters


def _has_other_default(a: attrs.Attribute[Any]) -> bool:
    return a.default is not attrs.NOTHING and a.default is not None


def _check(
    var: str,
    tp: Any,
    index: int,
    names: dict[str, Any],
    hook_for: Callable[[Any], Hook],
    pass_through: Mapping[Any, type],
    *,
    indent: int,
) -> list[str]:
    pad = " " * indent
    names[f"__h{index}"], names[f"__t{index}"] = hook_for(tp), tp
    convert = f"{var} = __h{index}({var}, __t{index})"
    exact = pass_through.get(tp)
    if exact is None:
        return [pad + convert]
    names[f"__p{index}"] = exact
    return [f"{pad}if type({var}) is not __p{index}:", f"{pad}    {convert}"]


def _type_hints(cls: type[Any]) -> dict[str, Any]:
    import typing

    return typing.get_type_hints(cls)


def _compile(cls: type[Any], source: str, names: dict[str, Any]) -> Hook:
    filename = f"<rocketlead_async fused structure {cls.__module__}.{cls.__qualname__}>"
    # In linecache, so tracebacks and profilers show the generated lines.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), names)
    hook: Hook = names[f"structure_{cls.__name__}"]
    return hook
