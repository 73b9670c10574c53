"""tools/bench/bench_package.py's summary of several rounds: medians (min–max) per scenario and
side, and the two ratios taken run by run against the same round's figures."""

from __future__ import annotations

from tools.bench.bench_package import _spread, summarize


def run(round_: int, side: str, **walls: float) -> dict:
    names = {
        "cold": "pants cold (buildah)",
        "edit": "pants after 1 app edit",
        "alone": "webui alone (buildah build x2)",
        "loop": "buildah loop, 1st run",
    }
    rows = [{"scenario": names[k], "wall_seconds": v} for k, v in walls.items()]
    rows.append({"scenario": "docker loop", "note": "skipped (--skip-docker-loop)"})  # no figure
    return {"round": round_, "side": side, "scenarios": rows}


def test_spread_is_the_median_with_min_and_max() -> None:
    assert _spread([3.0, 1.0, 2.0]) == "2.0 (1.0–3.0)"
    assert _spread([1.0, 2.0]) == "1.5 (1.0–2.0)"
    assert _spread([4.25]) == "4.2"
    assert _spread([]) == "-"
    assert _spread([1.5, 1.25], digits=2) == "1.38 (1.25–1.50)"


def test_ratios_are_taken_against_the_same_rounds_figures() -> None:
    runs = [
        run(1, "ours", cold=30.0, edit=6.0, alone=4.0, loop=20.0),
        run(1, "ours@old", cold=40.0, edit=8.0, alone=4.0),
        run(2, "ours@old", cold=60.0, edit=10.0, alone=5.0),
        run(2, "ours", cold=45.0, edit=6.0, alone=5.0, loop=30.0),
    ]
    table = {row["scenario"]: row for row in summarize(runs, ["ours", "ours@old"], "buildah")}
    assert table["pants cold (buildah)"] == {"scenario": "pants cold (buildah)", "ours": "37.5 (30.0–45.0)", "ours@old": "50.0 (40.0–60.0)"}
    assert table["buildah loop, 1st run"]["ours@old"] == "-"
    # Edit ÷ by hand: ours 1.5 and 1.2; old 2.0 and 2.0.
    assert table["one app edit ÷ webui alone"]["ours"] == "1.35 (1.20–1.50)"
    assert table["one app edit ÷ webui alone"]["ours@old"] == "2.00 (2.00–2.00)"
    # Cold ÷ that round's loop (which ran on the work tree's side): ours 1.5 and 1.5; old 2.0 and 2.0.
    ratio = table["cold ÷ buildah loop, 1st run (same round)"]
    assert ratio["ours"] == "1.50 (1.50–1.50)"
    assert ratio["ours@old"] == "2.00 (2.00–2.00)"
    assert "docker loop" not in table


def test_the_loop_of_the_other_builder_is_not_the_reference() -> None:
    runs = [run(1, "ours", cold=30.0, loop=20.0)]
    table = {row["scenario"]: row for row in summarize(runs, ["ours"], "docker")}
    assert table["cold ÷ docker loop, 1st run (same round)"]["ours"] == "-"
