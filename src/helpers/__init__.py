"""Ayudantes del curso «ETL por lotes vs. ETL en streaming».

Cada módulo se ocupa de una sola cosa:

- ``paths``: dónde viven el proyecto, los jars y los datos del broker.
- ``java``: encontrar Java y comprobar su versión.
- ``errors``: los errores del curso, con mensajes en español que dicen qué hacer.
- ``kafka_local``: arrancar, parar y consultar el broker local de Kafka (KRaft).
- ``kafka_ports``: los dos puertos del broker (libres, recordados en su carpeta de datos).
- ``topics``: crear y borrar tópicos, producir y leer eventos JSON.
- ``fast_load``: cargar muchos eventos rápido con librdkafka (y compararlo con kafka-python).
- ``throughput``: el límite físico del lector (lectura cruda de un tópico, registros/s y MB/s).
- ``costs``: CPU-s y memoria pico de un árbol de procesos, leídos de ``/proc``.
- ``bench``, ``bench_scale``, ``bench_table``: ``make bench`` (arranque y memoria; 1 000 000 de
  facturas por lotes y por Flink; la tabla del README).
- ``flink``: los entornos de PyFlink (DataStream y Table/SQL) con el conector de Kafka.
- ``flink_cluster`` y ``flink_cluster_conf``: el clúster de Flink de verdad (procesos, REST, caídas)
  y su configuración privada; ``cluster_lab``: lo que mide el cuaderno 09 en él (subtareas,
  estados, *checkpoints*, reescalado); ``stack_memory``: memoria de toda la pila.
- ``head_to_head``: las dos canalizaciones del cuaderno 08 (lotes y Flink SQL), la corrida en vivo y
  el modelo de costo.
- ``environment``: la comprobación del entorno con líneas ``[OK]`` / ``[FALLA]``.
- ``sources``: generadores de datos deterministas (con semilla).
- ``plots``: gráficas (un módulo por tema: ventanas, lotes, Kafka...).
- ``cheatsheet``: el PDF de las hojas imprimibles (``cheatsheet.md``, ``entrevista.md``).
"""

__version__ = "0.1.0"
