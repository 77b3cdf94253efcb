"""lambdakit.course.timeline: bursts in waves, records matched by request id, the timeline plot."""
from __future__ import annotations

import dataclasses
import doctest
import json
import time
import uuid

import pytest

import lambdakit
from lambdakit.course import timeline
from lambdakit.course.timeline import (BurstRow, BurstSummary, burst_explorer, find_record,
                                       plot_timeline, run_burst, summarize)

# Waits (up to 10 s) until `count` requests are inside the handler at the same
# time, by each one dropping a file in a folder on this machine: proof of
# concurrency that does not depend on timing.
BARRIER = """
import os, time, uuid
def handler(event, context):
    folder = event.get("barrier")
    if folder:
        open(os.path.join(folder, uuid.uuid4().hex), "w").close()
        deadline = time.time() + 10
        while len(os.listdir(folder)) < event["count"] and time.time() < deadline:
            time.sleep(0.005)
    return {"pid": os.getpid()}
"""


@pytest.fixture(scope="module")
def kit():
    return lambdakit.start()


@pytest.fixture(scope="module")
def deploy(kit):
    lam = kit.client("lambda")
    role = kit.execution_role()

    def create(source=BARRIER):
        name = f"timeline-{uuid.uuid4().hex[:8]}"
        lam.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                            Handler="lambda_function.handler",
                            Code={"ZipFile": lambdakit.zip_code(source)})
        lam.get_waiter("function_active_v2").wait(
            FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
        return name
    return create


def barrier(tmp_path, count):
    folder = tmp_path / uuid.uuid4().hex
    folder.mkdir()
    return {"barrier": str(folder), "count": count}


# -- run_burst ------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, message", [
    ({"requests": 0}, "requests must be a whole number of at least 1, got 0"),
    ({"requests": 2.5}, "requests must be a whole number of at least 1, got 2.5"),
    ({"concurrency": 0}, "concurrency must be a whole number of at least 1, got 0"),
    ({"pause_s": -1}, "pause_s must not be negative, got -1"),
])
def test_run_burst_checks_its_arguments(kwargs, message):
    with pytest.raises(ValueError) as info:
        run_burst("anything", **kwargs)
    assert str(info.value) == message


def test_all_at_once_needs_one_environment_per_request(deploy, tmp_path, kit):
    name = deploy()
    rows = run_burst(name, requests=4, concurrency=4, pause_s=0, payload=barrier(tmp_path, 4))
    assert len(rows) == 4 and all(row.error is None for row in rows)
    assert [row.wave for row in rows] == [0, 0, 0, 0]
    assert len({row.environment_id for row in rows}) == 4
    assert all(row.cold and row.init_ms > 0 for row in rows)
    # rows carry the kit's own record of each request, matched by request id
    for row in rows:
        assert row.record.request_id == row.request_id
        assert row.function_name == name and row.invocation_type == "RequestResponse"
    assert {r.request_id for r in kit.records if r.function_name == name} == {
        row.request_id for row in rows}
    assert str(summarize(rows)).startswith("4 requests, 4 execution environments, 4 cold starts")


def test_pause_zero_sends_every_wave_at_once(deploy, tmp_path):
    name = deploy()
    rows = run_burst(name, requests=6, concurrency=2, pause_s=0, payload=barrier(tmp_path, 6))
    assert [row.wave for row in rows] == [0, 0, 1, 1, 2, 2]
    assert len({row.environment_id for row in rows}) == 6


def test_waves_that_do_not_overlap_reuse_warm_environments(deploy, tmp_path):
    name = deploy()
    warm = run_burst(name, requests=2, concurrency=2, pause_s=0, payload=barrier(tmp_path, 2))
    # a pause far longer than a warm invocation, even on a busy machine: no wave overlaps
    began = time.time()
    rows = run_burst(name, requests=6, concurrency=2, pause_s=1.0)
    assert [row.wave for row in rows] == [0, 0, 1, 1, 2, 2]
    assert {row.environment_id for row in rows} == {row.environment_id for row in warm}
    assert not any(row.cold for row in rows)
    # wave n is never released before n pauses have passed (a late first wave on a busy
    # machine may shorten the gap between two waves, never this)
    starts = [min(row.sent_at for row in rows if row.wave == w) for w in range(3)]
    assert starts[1] - began >= 0.99 and starts[2] - began >= 1.99
    summary = summarize(rows)
    assert (summary.requests, summary.environments, summary.cold_starts, summary.errors) == (6, 2, 0, 0)
    assert summary.p50_ms > 0


def test_refused_requests_have_no_record(kit):
    rows = run_burst("no-such-function-here", requests=2, concurrency=2, pause_s=0)
    assert [row.error for row in rows] == ["ResourceNotFoundException"] * 2
    assert all(row.record is None for row in rows)
    with pytest.raises(AttributeError):
        rows[0].environment_id
    summary = summarize(rows)
    assert (summary.requests, summary.environments, summary.errors, summary.p50_ms) == (2, 0, 2, None)
    assert str(summary).endswith("2 refused")
    assert plot_timeline(rows) is not None


def test_find_record_waits_for_an_asynchronous_invocation(deploy, kit):
    name = deploy()
    response = kit.client("lambda").invoke(FunctionName=name, InvocationType="Event",
                                            Payload=b"{}")
    assert response["StatusCode"] == 202
    record = find_record(response["ResponseMetadata"]["RequestId"])
    assert (record.function_name, record.invocation_type, record.status) == (name, "Event", "success")


def test_find_record_gives_up_with_a_clear_error(kit):
    with pytest.raises(LookupError, match="no invocation with request id nope was recorded"):
        find_record("nope", timeout=0.05)


# -- summarize and plot_timeline, on records made up for the test ---------------------
@dataclasses.dataclass
class FakeRecord:
    request_id: str
    environment_id: str
    cold: bool
    init_ms: float | None
    duration_ms: float
    start_time: float
    end_time: float


def fake_records():
    """Env A: a cold start then a warm one; env B: one cold start."""
    return [
        FakeRecord("r1", "aaaaaaaaaaaa", True, 100.0, 50.0, 1000.000, 1000.150),
        FakeRecord("r2", "bbbbbbbbbbbb", True, 80.0, 50.0, 1000.010, 1000.140),
        FakeRecord("r3", "aaaaaaaaaaaa", False, None, 30.0, 1000.200, 1000.230),
    ]


def test_summarize_works_on_the_kits_own_records():
    summary = summarize(fake_records())
    assert summary == BurstSummary(requests=3, environments=2, cold_starts=2,
                                   p50_ms=pytest.approx(130.0))
    assert str(summary) == "3 requests, 2 execution environments, 2 cold starts, p50 latency 130 ms"


def test_plot_timeline_draws_one_row_per_environment_and_splits_cold_starts():
    fig = plot_timeline(fake_records())
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["env 1  (aaaaaa)", "env 2  (bbbbbb)"]
    bars = ax.patches
    init_bars = [b for b in bars if b.get_facecolor()[:3] == pytest.approx(_rgb(timeline.INIT_COLOR))]
    invoke_bars = [b for b in bars if b.get_facecolor()[:3] == pytest.approx(_rgb(timeline.INVOKE_COLOR))]
    assert len(init_bars) == 2 and len(invoke_bars) == 3
    # env A's cold start: Init from 0 to 100 ms, then the handler from 100 to 150 ms
    first_init = min(init_bars, key=lambda b: b.get_x())
    assert first_init.get_x() == pytest.approx(0.0, abs=1e-6)
    assert first_init.get_width() == pytest.approx(100.0)
    assert sorted(b.get_width() for b in invoke_bars) == pytest.approx([30.0, 50.0, 50.0])
    markers = [line for line in ax.get_lines() if line.get_marker() == "v"]
    assert len(markers) == 2
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Init (cold start)", "Invoke (your handler)", "new environment"]
    assert ax.get_title() == str(summarize(fake_records()))


def test_plot_timeline_draws_into_a_given_axes():
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    assert plot_timeline(fake_records(), ax=ax, title="mine").figure is fig
    assert ax.get_title() == "mine"


def test_plot_timeline_of_a_real_burst_renders_to_png(deploy, tmp_path):
    name = deploy()
    rows = run_burst(name, requests=3, concurrency=3, pause_s=0, payload=barrier(tmp_path, 3))
    fig = plot_timeline(rows)
    out = tmp_path / "timeline.png"
    fig.savefig(out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(fig.axes[0].get_yticklabels()) == 3


def _rgb(hex_color):
    from matplotlib.colors import to_rgb
    return to_rgb(hex_color)


# -- burst_explorer -------------------------------------------------------------------
def test_burst_explorer_runs_with_the_sliders_values(deploy, tmp_path):
    name = deploy()
    explorer = burst_explorer(name, requests=2, concurrency=2, pause_s=0,
                              payload=barrier(tmp_path, 2))
    assert explorer.summary.environments == 2 and explorer.figure is not None
    assert "2 requests, 2 execution environments" in explorer.status.value
    explorer.requests.value, explorer.concurrency.value, explorer.pause.value = 2, 1, 0.1
    explorer.payload = {}
    explorer.button.click()  # what the Run button does
    assert [row.wave for row in explorer.rows] == [0, 1]
    assert explorer.summary.requests == 2 and not explorer.button.disabled
    assert "application/vnd.jupyter.widget-view+json" in explorer._repr_mimebundle_()


def test_burst_explorer_can_start_without_running(deploy):
    explorer = burst_explorer("not-run", run=False)
    assert explorer.rows == [] and explorer.figure is None
    assert (explorer.requests.value, explorer.concurrency.value, explorer.pause.value) == (12, 3, 0.5)


def test_burst_row_reads_through_to_its_record():
    row = BurstRow("r1", 0, 0.0, 5.0, record=fake_records()[0])
    assert row.environment_id == "aaaaaaaaaaaa" and row.latency_ms == 5.0
    assert json.dumps(dataclasses.asdict(BurstRow("r9", 1, 0.0, 1.0)))


def test_docstring_examples():
    assert doctest.testmod(timeline).failed == 0
