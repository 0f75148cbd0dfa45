"""Timing shared by the page benchmarks: median and fastest of several runs, and queries."""

import statistics
import time


def timed(fn, runs: int) -> tuple[float, float, int]:
    """(median ms, min ms, queries) of `fn`, after one warm-up call."""
    from django.db import connection

    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times), len(queries)
