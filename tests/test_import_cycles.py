"""No circle of imports among the project's packages.

A circle works or breaks depending on which of its modules a process imports first, so it
passes in one entry point and stops another with an ImportError.
"""

from __future__ import annotations

from tests.import_graph import cycles, import_graph

FEWEST_EDGES = 300  # there are about 490: far fewer means the graph was not read


def test_the_project_has_no_import_cycle() -> None:
    graph = import_graph()
    assert sum(map(len, graph.values())) >= FEWEST_EDGES
    found = cycles(graph)
    shown = [
        " <-> ".join(group)
        + "\n"
        + "\n".join(f"    {a} imports {b}" for a in group for b in sorted(graph[a]) if b in group)
        for group in found
    ]
    assert not found, "\n".join(shown)


def test_a_circle_is_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]
