"""Eventos de cambio (CDC): consistencia por fila, versiones y LSN crecientes, nodos estables."""

from __future__ import annotations

from collections import Counter

import pytest

from helpers.sources import cambios
from helpers.sources.timing import arrival_order

N = 2000


@pytest.fixture(scope="module")
def events() -> list[dict]:
    return cambios.change_events(N, seed=17)


def test_every_row_history_is_consistent(events):
    current: dict[tuple[str, str], dict | None] = {}
    versions: dict[tuple[str, str], int] = {}
    lsns: dict[tuple[str, str], int] = {}
    for event in events:
        row_id = (event["table"], event["key"])
        if event["op"] == "insert":
            assert row_id not in current, "una clave no se inserta dos veces"
            assert event["before"] is None and event["after"] is not None
            assert event["version"] == 1
        else:
            assert current.get(row_id) is not None, "update/delete de una fila viva"
            assert event["before"] == current[row_id], "before = el after anterior"
            assert event["version"] == versions[row_id] + 1
            assert event["lsn"] > lsns[row_id]
            if event["op"] == "delete":
                assert event["after"] is None
            else:
                assert event["after"] != event["before"]
                assert event["after"].keys() == event["before"].keys()
        current[row_id] = event["after"]
        versions[row_id] = event["version"]
        lsns[row_id] = event["lsn"]
        assert event["node"] == cambios.node_for(*row_id)


def test_mix_of_operations_tables_and_nodes(events):
    ops = Counter(e["op"] for e in events)
    assert ops["insert"] / N == pytest.approx(0.3, abs=0.04)
    assert ops["delete"] / N == pytest.approx(0.1, abs=0.03)
    assert ops["update"] > ops["insert"]
    assert set(Counter(e["table"] for e in events)) == {"pedidos", "inventario"}
    assert set(Counter(e["node"] for e in events)) == set(cambios.NODES)


def test_lsn_grows_per_node_and_orders_follow_the_flow(events):
    last = dict.fromkeys(cambios.NODES, 0)
    for event in events:
        assert event["lsn"] > last[event["node"]]
        last[event["node"]] = event["lsn"]
        if event["table"] == "pedidos" and event["op"] == "update":
            assert event["after"]["estado"] in cambios.ORDER_FLOW[event["before"]["estado"]]


def test_arrival_order_can_break_the_per_key_order(events):
    """En orden de llegada, una versión puede llegar antes que la anterior: por eso ``version``."""
    seen: dict[tuple[str, str], int] = {}
    regressions = 0
    for event in arrival_order(events):
        row_id = (event["table"], event["key"])
        regressions += event["version"] < seen.get(row_id, 0)
        seen[row_id] = max(seen.get(row_id, 0), event["version"])
    assert regressions > 0


def test_replaying_the_changes_rebuilds_the_final_state(events):
    table: dict[tuple[str, str], dict] = {}
    for event in sorted(arrival_order(events), key=lambda e: (e["node"], e["lsn"])):
        row_id = (event["table"], event["key"])
        if event["op"] == "delete":
            del table[row_id]
        else:
            table[row_id] = event["after"]
    expected = {}
    for event in events:
        expected[(event["table"], event["key"])] = event["after"]
    assert table == {k: v for k, v in expected.items() if v is not None}


def test_invalid_rates_and_kafka_key():
    with pytest.raises(ValueError):
        cambios.change_events(5, insert_rate=0.0)
    with pytest.raises(ValueError):
        cambios.change_events(5, insert_rate=0.8, delete_rate=0.3)
    first = cambios.change_events(1)[0]
    assert first["op"] == "insert"
    assert cambios.kafka_key(first) == f"{first['table']}:{first['key']}"
