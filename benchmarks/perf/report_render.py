"""Time ``gitdgm report`` for synthetic archives of 1,000 and 10,000 agents, and the page load in headless Chromium.

Usage: python benchmarks/perf/report_render.py [--sizes 1000 10000] [--keep DIR]
Target: rendering 10,000 agents < 30 s. Page load = navigation until the table and the tree are rendered.
Then the tree of all agents (as ``gitdgm plot --rejected`` draws it) by each engine, layout and SVG together:
Graphviz's dot (up to DOT_LIMIT nodes) and twopi next to igraph's tree and radial.
Graphviz columns read n/a where it is not installed; the load time needs chromium, chromium-driver and selenium.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import tempfile
import time
import sys
from pathlib import Path

from gitdgm.views import plot

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))  # the tests' support package
from support import synthetic  # noqa: E402
from gitdgm.archive import Archive, Snapshot
from gitdgm.views.report import render_report

ENGINES = ("dot", "twopi", "tree", "radial")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1400,900")


def page_load_seconds(page: Path, runs: int = 3) -> float | None:
    """Median time from navigation until the table has rows and the tree SVG has nodes."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.support.ui import WebDriverWait
    except ImportError:
        return None
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver_path):
        return None
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    profile = tempfile.mkdtemp(prefix="gitdgm-bench-")
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    ready = ("return document.querySelectorAll('#agents tbody tr').length > 0 && "
             "document.querySelectorAll('#tree g.node').length > 0 && document.body.dataset.ready === '1'")
    times = []
    try:
        for _ in range(runs):
            driver.get("about:blank")
            started = time.perf_counter()
            driver.get(page.as_uri())
            WebDriverWait(driver, 120, poll_frequency=0.02).until(lambda d: d.execute_script(ready))
            driver.execute_script("return document.body.getBoundingClientRect().height")  # force layout
            times.append(time.perf_counter() - started)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    return sorted(times)[len(times) // 2]


def tree_seconds(snapshot: Snapshot, engine: str) -> str:
    """Layout and SVG of every agent by one engine; n/a where Graphviz is missing or dot would take minutes."""
    view = plot.select_tree(snapshot, rejected=True, engine=engine)
    if engine in plot.GRAPHVIZ_ENGINES and (shutil.which(engine) is None or
                                            (engine == "dot" and len(view.shown) > plot.DOT_LIMIT)):
        return "n/a"
    started = time.perf_counter()
    plot.render_tree(view)
    return f"{time.perf_counter() - started:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--keep", type=Path, help="Keep archives and reports here (reused on the next run).")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="gitdgm-report-bench-"))
    from gitdgm import tree_svg  # noqa: F401 - import igraph (~0.4 s) before anything is timed

    layouts = []
    print(f"{'agents':>7} {'build s':>8} {'load s':>7} {'render s':>9} {'MB':>6} {'tree nodes':>10} "
          f"{'page load s':>12}")
    for size in args.sizes:
        path = work / f"archive-{size}"
        build = 0.0
        if not path.exists():
            started = time.perf_counter()
            synthetic.build(path, size)
            build = time.perf_counter() - started
        started = time.perf_counter()
        archive = Archive(path)
        snapshot = archive.load()
        loaded = time.perf_counter() - started
        page = render_report(archive, snapshot, work / f"report-{size}")
        total = time.perf_counter() - started
        meta = json.loads(re.search(r'"meta":(\{.*?\})', page.read_text()).group(1))
        load = page_load_seconds(page)
        print(f"{size:>7} {build:>8.1f} {loaded:>7.2f} {total:>9.2f} {page.stat().st_size / 1e6:>6.1f} "
              f"{meta['tree_shown']:>10} {'n/a' if load is None else f'{load:.2f}':>12}", flush=True)
        layouts.append((size, [tree_seconds(snapshot, engine) for engine in ENGINES]))
    print(f"\ntree of all agents, layout + SVG, s\n{'agents':>7}" + "".join(f" {e:>7}" for e in ENGINES))
    for size, seconds in layouts:
        print(f"{size:>7}" + "".join(f" {s:>7}" for s in seconds))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
