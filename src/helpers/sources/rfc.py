"""RFC (Registro Federal de Contribuyentes) verosímiles, con su dígito verificador.

- Persona física: 13 caracteres = 4 letras del nombre + fecha de nacimiento AAMMDD + homoclave.
- Persona moral: 12 caracteres = 3 letras de la razón social + fecha de constitución + homoclave.

La homoclave son 2 caracteres al azar más el dígito verificador del SAT (módulo 11), así que
``is_valid_rfc`` puede detectar un RFC mal capturado. Son datos inventados: no corresponden a
contribuyentes reales (salvo por casualidad).
"""

from __future__ import annotations

import random
import re
import unicodedata
from datetime import date, timedelta

RFC_PATTERN = re.compile(
    r"^(?P<letras>[A-ZÑ&]{3,4})"
    r"(?P<fecha>\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))"
    r"(?P<homoclave>[A-Z\d]{2}[A\d])$"
)
"""Formato del RFC: 3 (moral) o 4 (física) letras, fecha AAMMDD y homoclave de 3 caracteres."""

_CHECK_ALPHABET = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ"
_HOMOCLAVE_CHARS = "ABCDEFGHIJKLMNPQRSTUVWXYZ123456789"
_STOPWORDS = {"DE", "DEL", "LA", "LAS", "LOS", "Y", "E", "S", "A", "C", "V", "R", "L", "SA", "CV"}


def check_digit(first_twelve: str) -> str:
    """El dígito verificador del SAT para los primeros 11 (moral) o 12 (física) caracteres."""
    padded = first_twelve.rjust(12)  # a la persona moral se le antepone un espacio
    total = sum(_CHECK_ALPHABET.index(char) * (13 - pos) for pos, char in enumerate(padded))
    digit = 11 - total % 11
    return {11: "0", 10: "A"}.get(digit, str(digit))


def is_valid_rfc(rfc: str) -> bool:
    """``True`` si ``rfc`` tiene el formato de ``RFC_PATTERN`` y su dígito verificador cuadra."""
    if not RFC_PATTERN.match(rfc):
        return False
    return check_digit(rfc[:-1]) == rfc[-1]


def _letters(text: str) -> str:
    """Mayúsculas sin acentos (la Ñ se queda), solo letras y espacios."""
    text = text.upper().replace("Ñ", "\0")
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Z\0 ]", " ", plain).replace("\0", "Ñ")


def _birth(rng: random.Random, first_year: int, last_year: int) -> str:
    start = date(first_year, 1, 1)
    days = (date(last_year, 12, 31) - start).days
    return (start + timedelta(days=rng.randint(0, days))).strftime("%y%m%d")


def _finish(rng: random.Random, letters: str, when: str) -> str:
    body = letters + when + "".join(rng.choice(_HOMOCLAVE_CHARS) for _ in range(2))
    return body + check_digit(body)


def person_rfc(rng: random.Random, given: str, surname1: str, surname2: str) -> str:
    """RFC de 13 caracteres de una persona física (nacida entre 1955 y 2004)."""
    paternal, maternal, name = (_letters(part).replace(" ", "") or "X" for part in (
        surname1, surname2, given))
    vowel = next((c for c in paternal[1:] if c in "AEIOU"), "X")
    return _finish(rng, paternal[0] + vowel + maternal[0] + name[0], _birth(rng, 1955, 2004))


def company_rfc(rng: random.Random, company: str) -> str:
    """RFC de 12 caracteres de una persona moral (constituida entre 1990 y 2024)."""
    words = [w for w in _letters(company).split() if w not in _STOPWORDS]
    initials = "".join(w[0] for w in words)[:3]
    while len(initials) < 3:
        initials += rng.choice("ABCDEFGHIJKLMNOPRSTUVZ")
    return _finish(rng, initials, _birth(rng, 1990, 2024))
