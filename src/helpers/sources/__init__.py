"""Generadores de datos deterministas: la misma semilla da siempre los mismos eventos.

Una fuente por módulo (las del cuaderno de la autora, más las ventas del cuaderno 00):

- ``ventas``: ventas de tiendas, en orden (cuaderno 00).
- ``facturas``: facturas CFDI 4.0 en XML, con una fracción controlada de facturas malas;
  ``parse_factura`` las valida (``cfdi`` escribe y lee el XML; ``rfc`` hace y valida RFC).
- ``respaldos``: volcados CSV por hora de las tablas ``clientes`` y ``productos``.
- ``archivos``: metadatos de archivos de una carpeta compartida.
- ``ocr``: texto extraído de documentos escaneados, con páginas ruidosas.
- ``cambios``: eventos de cambio (CDC) de una base distribuida en 3 nodos; ``to_debezium`` y
  ``from_backups`` los dan en el formato de Debezium y para la tabla ``clientes`` de ``respaldos``.
- ``many``: las cinco fuentes de un mismo día y cinco productores a la vez (cuaderno 06).

Piezas compartidas:

- ``seeding``: ``Faker("es_MX")`` y ``random.Random`` con semilla por generador, UUID
  reproducibles y fracciones exactas («exactamente el 10 % de las facturas sale mal»).
- ``timing``: tiempo del evento y tiempo de llegada (``event_time`` / ``arrival_time``, ms UTC),
  con desorden y retrasos controlados, y las definiciones exactas de «desordenado» y «tardío».
- ``sinks``: escribir a Kafka (en orden de llegada), a SQLite y a CSV / JSON Lines.

Convención: los instantes para máquinas son enteros en milisegundos UTC (``event_time``,
``arrival_time``); los que lee una persona, texto ISO-8601 (``actualizado_en``,
``modified_time``). Todo empieza el lunes 5 de enero de 2026 a las 09:00:00 UTC.
"""
