"""Invoke latency, cold starts and throughput of lambdakit, with the references beside them.

Run from the repository root::

    python bench/bench_invoke.py           # full run (under a minute on an idle machine)
    python bench/bench_invoke.py --quick   # smoke run, small samples

For each worker kind (awslambdaric, python) one in-process endpoint is started
and measured through boto3; a direct call of the handler and
python-lambda-local's ``call()`` are measured in the same run as references.
Results are printed and written to ``bench/results.md`` (section "bench_invoke.py").
"""
from __future__ import annotations

import argparse
import logging
import time
import timeit
import types
import uuid

import _common as c

SOURCE = "def handler(event, context):\n    return {'ok': True}\n"
WORKER_KINDS = ("awslambdaric", "python")
TARGET_WARM_P50_MS = 3.0
TARGET_COLD_P50_MS = 60.0
FULL = dict(warmup=50, warm=1000, http=300, cold=30, local=200)
QUICK = dict(warmup=10, warm=100, http=50, cold=5, local=20)


def timed(call, n: int) -> tuple[list[float], float]:
    """Call ``call()`` n times; return each call's latency (ms) and the loop's wall time (s)."""
    samples = []
    begin = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t) * 1000)
    return samples, time.perf_counter() - begin


def load_handler():
    namespace: dict = {}
    exec(compile(SOURCE, "lambda_function.py", "exec"), namespace)
    return namespace["handler"]


def bench_direct() -> dict[str, float]:
    """The floor: the handler called as a plain Python function (timeit, µs per call)."""
    handler, ctx = load_handler(), types.SimpleNamespace(aws_request_id="x")
    number = 100_000
    runs = timeit.repeat(lambda: handler({}, ctx), number=number, repeat=7)
    per_call_us = sorted(r / number * 1e6 for r in runs)
    return {"best_us": per_call_us[0], "median_us": per_call_us[len(per_call_us) // 2]}


def bench_lambda_local(n: int) -> dict[str, float]:
    """python-lambda-local's ``call()``: a forked process per call (multiprocessing)."""
    from lambda_local.context import Context
    from lambda_local.main import call
    logging.getLogger().setLevel(logging.WARNING)  # it logs every call to stdout at INFO
    handler = load_handler()
    result, error = call(handler, {}, Context(3))
    assert result == {"ok": True} and error is None, (result, error)
    samples, _ = timed(lambda: call(handler, {}, Context(3)), n)
    return c.summary(samples)


def wait_updated(lam, name: str) -> float:
    """Poll until the last update is Successful (the waiter sleeps 1 s per retry); return ms."""
    begin = time.perf_counter()
    while lam.get_function_configuration(FunctionName=name)["LastUpdateStatus"] != "Successful":
        time.sleep(0.005)
    return (time.perf_counter() - begin) * 1000


def bench_kit(kind: str, sizes: dict[str, int]) -> dict[str, dict[str, float]]:
    """Warm, DryRun, GetFunctionConfiguration and cold-start latencies for one worker kind."""
    import lambdakit
    from lambdakit.kit import Kit
    from lambdakit.server import Endpoint
    from lambdakit.settings import Settings

    endpoint = Endpoint(settings=Settings(worker=kind)).start()
    try:
        kit = Kit(endpoint)  # clients and role helpers, bound to this endpoint
        lam, name = kit.client("lambda"), f"bench-{kind}-{uuid.uuid4().hex[:8]}"
        lam.create_function(FunctionName=name, Runtime="python3.12", Role=kit.execution_role(),
                            Handler="lambda_function.handler",
                            Code={"ZipFile": lambdakit.zip_code(SOURCE)})
        lam.get_waiter("function_active_v2").wait(FunctionName=name)

        def invoke() -> str:
            response = lam.invoke(FunctionName=name, Payload=b"{}")
            assert response["Payload"].read() == b'{"ok": true}', response
            return response["ResponseMetadata"]["RequestId"]

        timed(invoke, sizes["warmup"])
        warm, wall = timed(invoke, sizes["warm"])
        warm_records = list(endpoint.engine.records)[-sizes["warm"]:]
        dry, _ = timed(lambda: lam.invoke(FunctionName=name, InvocationType="DryRun"), sizes["http"])
        config, _ = timed(lambda: lam.get_function_configuration(FunctionName=name), sizes["http"])

        cold, settle, request_ids = [], [], []
        for i in range(sizes["cold"]):  # a new configuration retires the environment
            lam.update_function_configuration(FunctionName=name,
                                              Environment={"Variables": {"SAMPLE": str(i)}})
            settle.append(wait_updated(lam, name))
            t = time.perf_counter()
            request_ids.append(invoke())
            cold.append((time.perf_counter() - t) * 1000)
        by_id = {r.request_id: r for r in endpoint.engine.records}
        cold_records = [by_id[rid] for rid in request_ids]
        assert all(r.cold for r in cold_records), "a cold-start sample reused an environment"
        return {
            "warm": c.summary(warm),
            "throughput": {"per_s": len(warm) / wall},
            "engine_wall": c.summary([(r.end_time - r.start_time) * 1000 for r in warm_records]),
            "handler": c.summary([r.duration_ms for r in warm_records]),
            "dryrun": c.summary(dry),
            "config": c.summary(config),
            "cold": c.summary(cold),
            "init": c.summary([r.init_ms for r in cold_records]),
            "settle": c.summary(settle),
        }
    finally:
        endpoint.stop()


def report(sizes: dict[str, int], direct: dict, local: dict, kits: dict[str, dict]) -> str:
    """The results as a markdown section body."""
    def row(label: str, cell) -> str:
        return f"| {label} | " + " | ".join(cell(kits[k]) for k in WORKER_KINDS) + " |"

    def p50_99(key: str, mean: bool = False):
        return lambda r: (f"{c.ms(r[key]['p50'])} / {c.ms(r[key]['p99'])}"
                          + (f" / {c.ms(r[key]['mean'])}" if mean else ""))

    def target(key: str, limit: float):
        return lambda r: f"{'PASS' if r[key]['p50'] <= limit else 'MISS'} ({c.ms(r[key]['p50'])} ms)"

    floor_ms = direct["median_us"] / 1000
    lines = [*c.header_lines(), "",
             f"Trivial handler `{SOURCE.splitlines()[1].strip()}`, Payload `{{}}`, one boto3 client, "
             "sequential calls. Latencies in ms as p50 / p99 (/ mean).", "",
             "| measure | " + " | ".join(WORKER_KINDS) + " |",
             "|---|" + "---|" * len(WORKER_KINDS),
             row(f"warm Invoke via boto3, p50 / p99 / mean (n={sizes['warm']})", p50_99("warm", True)),
             row("sequential throughput (invokes/s)", lambda r: f"{r['throughput']['per_s']:.0f}"),
             row("  engine.invoke wall time, p50 / p99 (from records)", p50_99("engine_wall")),
             row("  handler Duration in the worker, p50 / p99 (REPORT)", p50_99("handler")),
             row(f"Invoke DryRun via boto3 (fast path, no engine), p50 / p99 (n={sizes['http']})", p50_99("dryrun")),
             row(f"GetFunctionConfiguration via boto3 (moto's HTTP stack), p50 / p99 (n={sizes['http']})", p50_99("config")),
             row("GetFunctionConfiguration p50 / warm Invoke p50",
                 lambda r: f"{r['config']['p50'] / r['warm']['p50']:.2f}"),
             row(f"cold Invoke via boto3, p50 / p99 (n={sizes['cold']})", p50_99("cold")),
             row("  Init Duration reported by the engine, p50 / p99", p50_99("init")),
             row("  UpdateFunctionConfiguration settle time (not in the cold figure), p50 / p99", p50_99("settle")),
             row("kit warm p50 / direct call (floor)", lambda r: f"{r['warm']['p50'] / floor_ms:,.0f}x"),
             row("kit warm p50 / python-lambda-local p50", lambda r: f"{r['warm']['p50'] / local['p50']:.2f}"),
             row(f"target: warm Invoke p50 <= {TARGET_WARM_P50_MS:g} ms", target("warm", TARGET_WARM_P50_MS)),
             row(f"target: cold Invoke p50 <= {TARGET_COLD_P50_MS:g} ms", target("cold", TARGET_COLD_P50_MS)),
             "",
             "References, same process and run:", "",
             f"- direct call `handler({{}}, ctx)` (timeit, 7 x 100000): median {direct['median_us']:.3f} µs, "
             f"best {direct['best_us']:.3f} µs per call",
             f"- {c.versions('python-lambda-local')} `call()` (fork per call, n={local['n']}): "
             f"p50 {c.ms(local['p50'])} / p99 {c.ms(local['p99'])} / mean {c.ms(local['mean'])} ms"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small samples, for a smoke run")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    # References first: python-lambda-local forks, which is best done before the kit's threads exist.
    direct = bench_direct()
    local = bench_lambda_local(sizes["local"])
    kits = {kind: bench_kit(kind, sizes) for kind in WORKER_KINDS}
    body = report(sizes, direct, local, kits)
    title = "bench_invoke.py" + (" --quick" if args.quick else "")
    print(f"## {title}\n\n{body}")
    c.write_section(title, body)


if __name__ == "__main__":
    main()
