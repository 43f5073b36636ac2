"""Generadores de datos deterministas: la misma semilla da siempre los mismos eventos."""
