"""Autocomprobaciones que, cuando fallan, explican en español qué pasó.

Un ``assert`` pelado solo dice ``AssertionError``. Estas funciones dicen qué se comprobaba, qué se
esperaba, qué se obtuvo (con la primera diferencia, si son colecciones) y una pista con el error
habitual. ``CheckError`` hereda de ``AssertionError``: pytest y nbval la tratan igual.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_REPR = 300


class CheckError(AssertionError):
    """Una autocomprobación del curso que no se cumplió."""


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= MAX_REPR else text[: MAX_REPR - 5] + " ...)"


def _as_plain(value: Any) -> Any:
    """Convierte DataFrames/Series/arrays a listas o diccionarios para compararlos y describirlos."""
    if hasattr(value, "to_dict") and hasattr(value, "columns"):  # DataFrame
        return value.values.tolist()
    if hasattr(value, "to_dict") and hasattr(value, "index"):  # Series
        return value.to_dict()
    if hasattr(value, "tolist"):  # ndarray
        return value.tolist()
    return value


def describe_difference(got: Any, expected: Any) -> str:
    """Una línea con la primera diferencia entre dos colecciones (vacía si no sabe describirla)."""
    got, expected = _as_plain(got), _as_plain(expected)
    if isinstance(got, (set, frozenset)) and isinstance(expected, (set, frozenset)):
        missing, extra = expected - got, got - expected
        parts = []
        if missing:
            parts.append(f"faltan {len(missing)}: {_short(sorted(missing, key=repr)[:5])}")
        if extra:
            parts.append(f"sobran {len(extra)}: {_short(sorted(extra, key=repr)[:5])}")
        return "; ".join(parts)
    if isinstance(got, Mapping) and isinstance(expected, Mapping):
        missing = [k for k in expected if k not in got]
        extra = [k for k in got if k not in expected]
        changed = [k for k in expected if k in got and got[k] != expected[k]]
        parts = []
        if missing:
            parts.append(f"faltan las claves {_short(missing[:5])}")
        if extra:
            parts.append(f"sobran las claves {_short(extra[:5])}")
        if changed:
            k = changed[0]
            parts.append(f"{len(changed)} valores distintos; p. ej. [{k!r}]: se esperaba "
                         f"{_short(expected[k])}, llegó {_short(got[k])}")
        return "; ".join(parts)
    if isinstance(got, (list, tuple)) and isinstance(expected, (list, tuple)):
        parts = []
        if len(got) != len(expected):
            parts.append(f"largo {len(got)} en vez de {len(expected)}")
        for i, (g, e) in enumerate(zip(got, expected)):
            if g != e:
                parts.append(f"primera diferencia en la posición {i}: se esperaba {_short(e)}, "
                             f"llegó {_short(g)}")
                break
        return "; ".join(parts)
    return ""


def _fail(what: str, expected: Any, got: Any, hint: str, detail: str = "") -> None:
    lines = [f"No se cumple: {what}", f"  Esperaba: {_short(expected)}", f"  Obtuve:   {_short(got)}"]
    if detail:
        lines.append(f"  Diferencia: {detail}")
    if hint:
        lines.append(f"  Pista: {hint}")
    raise CheckError("\n".join(lines))


def check_equal(got: Any, expected: Any, what: str, hint: str = "") -> None:
    """Falla con un mensaje en español si ``got != expected``.

    ``what`` dice qué se comprueba («ventanas de 20 s»); ``hint``, el error habitual detrás.
    Acepta listas, tuplas, conjuntos, diccionarios, DataFrames, Series y valores sueltos.
    """
    plain_got, plain_expected = _as_plain(got), _as_plain(expected)
    if plain_got != plain_expected:
        _fail(what, plain_expected, plain_got, hint, describe_difference(plain_got, plain_expected))


def check(condition: bool, what: str, expected: Any, got: Any, hint: str = "") -> None:
    """Falla con un mensaje en español si ``condition`` es falsa.

    Para comprobaciones que no son una igualdad («al menos 1 duplicado», «ningún perdido»):
    ``expected`` describe lo esperado (puede ser un texto) y ``got`` lo que hubo.
    """
    if not condition:
        _fail(what, expected, got, hint)
