"""Streams the loopback server's course list with Python canvasapi; prints one result line."""
import resource
import sys
import time
import warnings

warnings.simplefilter("ignore")
from canvasapi import Canvas  # noqa: E402

base, pages = sys.argv[1], int(sys.argv[2])
canvas = Canvas(base, "bench-token")
start = time.perf_counter()
items = 0
for _course in canvas.get_courses(per_page=100, max_pages=pages):
    items += 1
secs = time.perf_counter() - start
rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"items={items} secs={secs:.3f} rss_kb={rss_kb}")
