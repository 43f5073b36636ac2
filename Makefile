# Curso «ETL por lotes vs. ETL en streaming»: las órdenes del día a día.
#   make lab    instala lo necesario, arranca Kafka y abre JupyterLab
#   make test   instala lo que falte, arranca Kafka y ejecuta pytest + nbval en todos los cuadernos
#   make cheatsheet   genera cheatsheet.pdf, la hoja de referencia para imprimir (A4)
#   make entrevista   genera entrevista.pdf, las 30 preguntas de entrevista para imprimir (A4)
#   make lab LAB_ARGS="--port 8899 --no-browser"   pasa opciones a JupyterLab
# Cada objetivo se puede repetir: lo que ya está hecho se salta.

PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
KERNEL := curso-etl
NBVAL_CELL_TIMEOUT ?= 600
# Opciones extra para JupyterLab, p. ej.  make lab LAB_ARGS="--port 8899 --no-browser"
LAB_ARGS ?=
# Jupyter se niega a correr como root (p. ej. en un contenedor) salvo que se le pida.
LAB_ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

# Las marcas (stamps) evitan repetir instalaciones: se rehacen solo si cambia su receta.
VENV_STAMP := $(VENV)/.instalado
JARS_STAMP := .jars/.listo
KERNEL_STAMP := $(VENV)/.kernel
CHEAT_STAMP := $(VENV)/.hoja

.PHONY: help prereqs setup venv jars kafka cluster kernel lab test test-py test-nb stop clean bench cheatsheet entrevista

help:
	@echo "Órdenes: make lab | make test | make cluster | make stop | make clean | make bench | make cheatsheet | make entrevista"

prereqs:
	@bash scripts/check_prereqs.sh $(PYTHON)

$(VENV_STAMP): pyproject.toml
	@echo "==> Creando el entorno de Python en $(VENV) e instalando las dependencias fijadas (la primera vez tarda unos minutos)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -e ".[dev]"
	@touch $@

$(JARS_STAMP): jvm/pom.xml
	@echo "==> Descargando con Maven los jars de Kafka y del conector de Flink en .jars/"
	@rm -rf .jars/kafka .jars/flink && mkdir -p .jars
	@mvn -q -B -f jvm/pom.xml package > .jars/maven.log 2>&1 || { cat .jars/maven.log; exit 1; }
	@touch $@

$(KERNEL_STAMP): $(VENV_STAMP)
	@echo "==> Registrando el kernel de Jupyter «$(KERNEL)» del entorno del curso"
	@$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python 3.11 (curso ETL)" >/dev/null
	@touch $@

$(CHEAT_STAMP): $(VENV_STAMP) pyproject.toml
	@echo "==> Instalando el generador de la hoja de referencia (pandoc y Typst, ruedas de PyPI)"
	@$(PY) -m pip install -q -e ".[cheatsheet]"
	@touch $@

cheatsheet.pdf: cheatsheet.md src/helpers/cheatsheet.py $(CHEAT_STAMP)
	@echo "==> Generando cheatsheet.pdf (A4, dos columnas) desde cheatsheet.md"
	@$(PY) -m helpers.cheatsheet

venv: prereqs $(VENV_STAMP)
jars: prereqs $(JARS_STAMP)
kernel: $(KERNEL_STAMP)
setup: prereqs $(VENV_STAMP) $(JARS_STAMP) $(KERNEL_STAMP)
	@echo "==> Entorno listo (Python, PyFlink, Kafka y jars)"

kafka: setup
	@echo "==> Arrancando Kafka en 127.0.0.1 (o reutilizando el que ya corre)"
	@$(PY) -m helpers.kafka_local start

cluster: setup
	@echo "==> Arrancando el clúster local de Flink (1 JobManager + TaskManagers) en 127.0.0.1"
	@$(PY) -m helpers.flink_cluster start

lab: kafka
	@echo "==> Abriendo JupyterLab en notebooks/ (Ctrl+C para salir; Kafka sigue corriendo hasta 'make stop')"
	@$(VENV)/bin/jupyter lab --ip=127.0.0.1 --ServerApp.root_dir=notebooks $(LAB_ROOT_FLAG) $(LAB_ARGS)

cheatsheet: prereqs cheatsheet.pdf
	@echo "==> Hoja lista para imprimir: cheatsheet.pdf"

entrevista.pdf: entrevista.md src/helpers/cheatsheet.py $(CHEAT_STAMP)
	@echo "==> Generando entrevista.pdf (A4, dos columnas) desde entrevista.md"
	@$(PY) -m helpers.cheatsheet entrevista.md

entrevista: prereqs entrevista.pdf
	@echo "==> Hoja de entrevista lista para imprimir: entrevista.pdf"

# make test arranca Kafka si no estaba corriendo y, en ese caso, lo detiene al terminar.
# Instala también el generador de la hoja: tests/test_cheatsheet.py construye el PDF.
test: setup $(CHEAT_STAMP)
	@if $(PY) -m helpers.kafka_local status >/dev/null 2>&1; then started=0; \
	  echo "==> Kafka ya estaba corriendo: lo uso y lo dejo corriendo"; \
	else started=1; echo "==> Arrancando Kafka para las pruebas"; \
	  $(PY) -m helpers.kafka_local start || exit 1; fi; \
	echo "==> pytest + nbval: pruebas de los ayudantes contra el broker real y todos los cuadernos de notebooks/"; \
	$(PY) -m pytest tests notebooks --nbval-lax --nbval-current-env --nbval-cell-timeout=$(NBVAL_CELL_TIMEOUT); rc=$$?; \
	if [ $$started = 1 ]; then echo "==> Deteniendo el Kafka que arrancaron las pruebas"; $(PY) -m helpers.kafka_local stop; fi; \
	exit $$rc

stop:
	@echo "==> Deteniendo el clúster de Flink y el broker de Kafka del curso"
	@if [ -x $(PY) ]; then $(PY) -m helpers.flink_cluster stop; $(PY) -m helpers.kafka_local stop; \
	else echo "No hay entorno: nada que detener"; fi

clean: stop
	@echo "==> Borrando datos del broker (.kafka/), de Flink (.flink/), jars (.jars/) y el entorno ($(VENV))"
	@rm -rf .kafka .flink .jars jvm/target $(VENV)

bench: setup
	@echo "==> Midiendo: arranque del broker, primer job de PyFlink y memoria (ver bench/README.md)"
	@$(PY) -m helpers.bench
