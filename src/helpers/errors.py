"""Errores del curso: cada uno explica en español qué pasó y qué hacer."""

from __future__ import annotations


class CourseError(RuntimeError):
    """Error con un mensaje pensado para quien aprende: qué pasó y cómo resolverlo."""


class JavaNotFoundError(CourseError):
    """No hay Java en el PATH ni en JAVA_HOME."""


class JavaVersionError(CourseError):
    """Hay Java, pero su versión no sirve (Kafka 4 y Flink 2 piden Java 17)."""


class JarsMissingError(CourseError):
    """Faltan los jars que resuelve Maven (``make jars``)."""


class PortBusyError(CourseError):
    """El puerto que quiere usar el broker ya lo ocupa otro programa."""


class PortsMismatchError(CourseError):
    """El entorno pide unos puertos y el broker del curso que ya corre usa otros."""


class BrokerStartError(CourseError):
    """El broker terminó (o no respondió) mientras arrancaba."""


class BrokerUnavailableError(CourseError):
    """No hay un broker que responda en la dirección esperada."""


class ClusterStartError(CourseError):
    """El clúster local de Flink no arrancó: un proceso terminó o un TaskManager no se registró."""


class ClusterUnavailableError(CourseError):
    """El modo remoto apunta a un clúster de Flink que no responde."""
