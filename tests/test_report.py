"""``gitdgm report``: the page's embedded data, and a real headless Chromium clicking through it (selenium)."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from support import synthetic
from gitdgm.archive import Archive, Snapshot
from gitdgm.cli.inspect import report_command
from gitdgm.archive.record import Record
from gitdgm.views.report import render_report
from gitdgm.views.model import best_path

HOSTILE = '</script><b id="injected">x</b> & "quotes"'
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--window-size=1400,900")


@pytest.fixture(scope="module")
def archive_200(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200 synthetic agents plus one whose subject and problem statement try to break out of the page."""
    path = tmp_path_factory.mktemp("report") / "archive"
    synthetic.build(path, 200, max_depth=30, seed=5)
    archive = Archive(path)
    seed = archive.load().seed()
    child = archive.create_agent_commit(seed.tree, seed.commit, HOSTILE, f"Problem: {HOSTILE}")
    archive.set_branch(child)
    archive.write_record(child, Record.new(status="evaluated", parent=seed.id, generation=1, score=0.1,
                                           resolved=1, attempted=10))
    return path


@pytest.fixture(scope="module", params=["graphviz", "no-graphviz"])
def report(archive_200: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    """The page as ``auto`` draws it with Graphviz (dot), and with no Graphviz on PATH (igraph's tree)."""
    archive = Archive(archive_200)
    with pytest.MonkeyPatch.context() as patch:
        if request.param == "no-graphviz":
            patch.setenv("PATH", str(tmp_path_factory.mktemp("empty-path")))  # a real lookup that finds no `dot`
        path = render_report(archive, archive.load(), tmp_path_factory.mktemp("out"), rejected=True)
    engine = page_data(path.read_text())["meta"]["tree_engine"]
    assert engine == ("dot" if request.param == "graphviz" else "tree")
    return path


def page_data(html: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="gitdgm-data">(.*?)</script>', html, re.DOTALL)
    assert match, "no embedded data"
    return json.loads(match.group(1))


def test_page_is_self_contained_and_embeds_every_agent(report: Path, archive_200: Path):
    html = report.read_text()
    snapshot = Archive(archive_200).load()
    data = page_data(html)
    assert {row["id"] for row in data["agents"]} == set(snapshot.agents)
    assert set(data["details"]) == set(snapshot.agents)  # 201 agents fit under the default limit of 500
    assert data["best_path"] == best_path(snapshot)
    assert not re.search(r'(src|href)="(https?:)?//', html), "the page must not fetch anything"
    assert html.count("<svg") == 2 and "<?xml" not in html
    assert HOSTILE not in html  # escaped inside the JSON, so the script element cannot be closed early
    tree = re.search(r'<div id="tree">(.*?)</div>', html, re.DOTALL).group(1)
    nodes = [g for g in ET.fromstring(tree).iter("{http://www.w3.org/2000/svg}g") if "node" in g.get("class")]
    assert len(nodes) == len(snapshot.agents)


def test_details_limit_embeds_the_best_lineage_first(archive_200: Path, tmp_path: Path):
    archive = Archive(archive_200)
    snapshot = archive.load()
    lineage = best_path(snapshot)
    path = render_report(archive, snapshot, tmp_path, details=len(lineage) + 5, max_nodes=50)
    data = page_data(path.read_text())
    details = list(data["details"])
    assert details[:len(lineage)] == lineage and len(details) == len(lineage) + 5
    by_score = sorted((a for a in snapshot.agents.values() if a.id not in lineage and a.score is not None),
                      key=lambda a: -a.score)
    assert {snapshot.agents[i].score for i in details[len(lineage):]} == {a.score for a in by_score[:5]}
    assert data["meta"]["tree_shown"] <= 50 and "showing" in data["meta"]["tree_note"]
    best = snapshot.agents[lineage[-1]]
    assert data["details"][best.id]["record"]["tasks"] == best.record.data["tasks"]


def test_report_command(archive_200: Path, tmp_path: Path):
    result = CliRunner().invoke(report_command, ["-C", str(archive_200), "--out", str(tmp_path)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"wrote {tmp_path / 'report.html'}" in result.output and "201 agents" in result.output


# --- in a real browser ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        webdriver = None
    if not (chromium and driver_path and webdriver):
        reason = "needs chromium, chromium-driver (Debian) and selenium (PyPI)"
        if os.environ.get("GITDGM_REQUIRE_BROWSER") == "1":
            pytest.fail(f"GITDGM_REQUIRE_BROWSER=1 but the browser is missing: {reason}")
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    profile = tempfile.mkdtemp(prefix="gitdgm-chromium-")
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)  # explicit driver: no downloads
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def open_page(browser: Any, path: Path) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(path.as_uri())
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return document.body.dataset.ready === '1'"))


def click_node(browser: Any, agent_id: str) -> None:
    from selenium.webdriver.common.by import By

    node = browser.find_element(By.CSS_SELECTOR, f"#tree g#a-{agent_id} text")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center', inline: 'center'})", node)
    node.click()


def field(browser: Any, name: str) -> str:
    from selenium.webdriver.common.by import By

    return browser.find_element(By.CSS_SELECTOR, f'#panel dd[data-field="{name}"]').text


def test_clicking_a_tree_node_shows_its_record(browser: Any, report: Path, archive_200: Path):
    from selenium.webdriver.common.by import By

    snapshot: Snapshot = Archive(archive_200).load()
    open_page(browser, report)
    best = snapshot.agents[best_path(snapshot)[-1]]
    record = best.record.data
    click_node(browser, best.id)
    assert browser.find_element(By.CSS_SELECTOR, "#panel h2").text.startswith(f"agent {best.id}")
    assert field(browser, "score") == f"{record['score']:.3f} ({record['resolved']}/{record['attempted']})"
    assert field(browser, "parent") == best.parent and field(browser, "generation") == str(record["generation"])
    task_rows = browser.find_elements(By.CSS_SELECTOR, "#tasks tbody tr")
    shown = {row.find_elements(By.TAG_NAME, "td")[0].text: row.find_elements(By.TAG_NAME, "td")[1].text
             for row in task_rows}
    assert shown == {task: result["outcome"] for task, result in record["tasks"].items()}
    assert field(browser, "evaluation.cost_usd") == str(record["evaluation"]["cost_usd"])
    added = browser.find_elements(By.CSS_SELECTOR, "#panel pre.diff span.add")
    removed = browser.find_elements(By.CSS_SELECTOR, "#panel pre.diff span.del")
    assert added and removed and added[-1].text.startswith("+") and removed[-1].text.startswith("-")
    assert "selected" in browser.find_element(By.ID, f"a-{best.id}").get_attribute("class")

    browser.find_element(By.CSS_SELECTOR, '#panel dd[data-field="parent"] a').click()  # walk up the lineage
    assert browser.find_element(By.CSS_SELECTOR, "#panel h2").text.startswith(f"agent {best.parent}")


def test_hostile_text_is_shown_as_text(browser: Any, report: Path, archive_200: Path):
    from selenium.webdriver.common.by import By

    snapshot = Archive(archive_200).load()
    hostile = next(a for a in snapshot.agents.values() if a.summary == HOSTILE)
    open_page(browser, report)
    click_node(browser, hostile.id)
    assert browser.find_element(By.ID, "subject").text == HOSTILE
    assert browser.find_element(By.ID, "problem").text == f"Problem: {HOSTILE}"
    assert not browser.find_elements(By.ID, "injected")


def test_table_sorts_by_header_and_filters(browser: Any, report: Path, archive_200: Path):
    from selenium.webdriver.common.by import By

    snapshot = Archive(archive_200).load()
    open_page(browser, report)
    rows = lambda: browser.find_elements(By.CSS_SELECTOR, "#agents tbody tr")
    assert len(rows()) == 100  # one page
    browser.find_element(By.CSS_SELECTOR, '#agents th[data-key="score"]').click()
    scores = sorted((a.score for a in snapshot.agents.values() if a.score is not None), reverse=True)
    shown = [float(r.find_elements(By.TAG_NAME, "td")[3].text) for r in rows()]
    assert shown == pytest.approx(scores[:100], abs=5e-4)
    browser.find_element(By.CSS_SELECTOR, '#agents th[data-key="children"]').click()
    most = max(snapshot.agents.values(), key=lambda a: len(a.children))
    assert rows()[0].find_elements(By.TAG_NAME, "td")[6].text == str(len(most.children))

    browser.find_element(By.ID, "filter").send_keys(most.id)
    ids = [r.get_attribute("data-id") for r in rows()]
    assert ids[0] == most.id and set(ids) == {most.id} | set(most.children)  # the agent and its children
    rows()[0].click()
    assert browser.find_element(By.CSS_SELECTOR, "#panel h2").text.startswith(f"agent {most.id}")
