"""Los mensajes de las autocomprobaciones: qué se esperaba, qué llegó y la pista."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.checks import CheckError, check, check_equal


def test_equal_values_pass_silently():
    check_equal([1, 2, 3], [1, 2, 3], "lista")
    check_equal(pd.DataFrame({"a": [1, 2]}), [[1], [2]], "tabla")
    check(3 > 2, "mayor", "> 2", 3)


def test_list_difference_names_first_position_and_hint():
    with pytest.raises(CheckError) as info:
        check_equal([1, 2, 9], [1, 2, 3], "conteos por ventana", "¿dejaste la salida lateral?")
    message = str(info.value)
    assert "No se cumple: conteos por ventana" in message
    assert "posición 2" in message and "se esperaba 3, llegó 9" in message
    assert "Pista: ¿dejaste la salida lateral?" in message


def test_length_and_set_and_dict_differences():
    with pytest.raises(CheckError, match="largo 2 en vez de 3"):
        check_equal([1, 2], [1, 2, 3], "x")
    with pytest.raises(CheckError, match=r"faltan 1: \[3\]; sobran 1: \[4\]"):
        check_equal({1, 2, 4}, {1, 2, 3}, "x")
    with pytest.raises(CheckError, match=r"faltan las claves \['b'\].*1 valores distintos"):
        check_equal({"a": 2}, {"a": 1, "b": 2}, "x")


def test_check_error_is_an_assertion_error_and_long_values_are_cut():
    with pytest.raises(AssertionError) as info:
        check(False, "ningún perdido", 0, list(range(1000)), "mira el offset inicial")
    assert len(str(info.value)) < 1000 and "Obtuve:" in str(info.value)
