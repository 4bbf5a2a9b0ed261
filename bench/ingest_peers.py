"""Times pyarrow's and pandas' CSV readers on one file; prints one JSON object.

Each reader runs `repeats` times on the warm page cache; the median wall time is kept.
"""
import json
import statistics
import sys
import time

import pandas
import pyarrow
import pyarrow.csv


def median_seconds(read, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        read()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    path, repeats = sys.argv[1], int(sys.argv[2])
    result = {
        "pyarrow": median_seconds(lambda: pyarrow.csv.read_csv(path), repeats),
        "pandas": median_seconds(lambda: pandas.read_csv(path), repeats),
        "pyarrow_version": pyarrow.__version__,
        "pandas_version": pandas.__version__,
        "pyarrow_threads": pyarrow.cpu_count(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
