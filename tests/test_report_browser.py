"""The HTML report in a real browser: Debian's chromium, headless, driven by selenium.

Needs ``/usr/bin/chromium`` and ``/usr/bin/chromedriver`` (Debian packages ``chromium`` and
``chromium-driver``; ``.ci/run`` installs them). Selenium is given the driver explicitly, so it
never tries to download one.
"""

import os
import shutil
import time
from pathlib import Path

import pytest

from pipeline.coverage import compute_coverage
from pipeline.reporters import branch_page, write_reports

from report_fixtures import CREATED, HOSTILE, HOSTILE_FILE, load_seed_plan, sample_items

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOT = Path(os.environ.get("PLANCOV_SCREENSHOT", "/tmp/report.png"))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM),
                       reason="needs Debian's chromium at /usr/bin/chromium "
                              "(apt-get install chromium chromium-driver fonts-noto-cjk)"),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    plan = load_seed_plan()
    result = compute_coverage(plan, sample_items(plan))
    out = tmp_path_factory.mktemp("html")
    write_reports(result, out, formats=("html",), created=CREATED)
    return out, result


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    assert os.path.exists(CHROMEDRIVER), "chromium is installed but chromedriver is not (apt-get install chromium-driver)"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1400,1000", "--lang=zh-CN"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()


def open_page(driver, path: Path):
    driver.get(path.as_uri())
    driver.get_log("browser")  # start each check from an empty log
    driver.refresh()
    return driver


def problems(driver) -> list:
    # Every console message of level warning or worse counts; nothing is filtered out.
    return [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


def no_alert(driver) -> bool:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        driver.switch_to.alert
    except NoAlertPresentException:
        return True
    return False


def test_every_page_loads_without_console_errors(site, browser):
    out, _ = site
    pages = sorted(out.glob("*.html"))
    assert len(pages) == 26
    for page in pages:
        open_page(browser, page)
        assert browser.execute_script("return document.readyState") == "complete"
        assert problems(browser) == [], page.name
        assert no_alert(browser), f"an injected script ran on {page.name}"
        assert browser.title


def test_matrix_has_a_row_per_document_and_drill_down_shows_evidence(site, browser):
    from selenium.webdriver.common.by import By

    out, result = site
    open_page(browser, out / "index.html")
    rows = browser.find_elements(By.CSS_SELECTOR, "#matrix-table tbody tr")
    assert len(rows) == len(result.documents) == 5
    names = [r.find_element(By.CSS_SELECTOR, "th").text.splitlines()[0] for r in rows]
    assert Path(HOSTILE_FILE).stem in names  # the HTML in the file name is shown as text
    drawer = browser.find_element(By.ID, "drawer")
    assert not drawer.is_displayed()

    hostile = next(i for i, d in enumerate(result.documents) if d.path == "summaries/s002.txt")
    browser.find_element(By.CSS_SELECTOR, f'td.cell[data-row="{hostile}"][data-req="2.2.1"]').click()
    assert drawer.is_displayed()
    quotes = browser.find_elements(By.CSS_SELECTOR, "#dw-quotes blockquote")
    assert [q.text for q in quotes] == [HOSTILE["close_script"]]
    assert [m.text for m in quotes[0].find_elements(By.TAG_NAME, "mark")] == ["</script>", "</script>"]
    source = browser.find_element(By.CSS_SELECTOR, "#dw-quotes .src")
    assert "0.71" in source.text and "s002.txt" in source.text and "第 2 页" in source.text
    link = source.find_element(By.TAG_NAME, "a")
    assert link.get_attribute("href").endswith(branch_page(result.documents[hostile]) + "#p5")
    assert "2.2.1" in browser.find_element(By.ID, "dw-req").text

    browser.find_element(By.ID, "dw-close").click()
    assert not drawer.is_displayed()
    a = next(i for i, d in enumerate(result.documents) if d.path == "summaries/s001.txt")
    browser.find_element(By.CSS_SELECTOR, f'td.cell[data-row="{a}"][data-req="2.1.2"]').click()
    assert browser.find_element(By.CSS_SELECTOR, "#dw-quotes li").text == "没有达到阈值的证据段落。"
    assert problems(browser) == []


def test_only_gaps_filter_hides_complete_rows(site, browser):
    from selenium.webdriver.common.by import By

    out, result = site
    open_page(browser, out / "index.html")
    complete = [i for i, d in enumerate(result.documents) if d.ok and d.numbers.complete]
    assert complete
    row = browser.find_element(By.CSS_SELECTOR, f'#matrix-table tbody tr[data-row="{complete[0]}"]')
    assert row.is_displayed()
    browser.find_element(By.ID, "only-gaps").click()
    assert not row.is_displayed()
    visible = [r for r in browser.find_elements(By.CSS_SELECTOR, "#matrix-table tbody tr") if r.is_displayed()]
    assert len(visible) == len(result.documents) - len(complete)
    browser.find_element(By.ID, "only-gaps").click()
    assert row.is_displayed()


def test_tables_sort_by_column(site, browser):
    from selenium.webdriver.common.by import By

    out, _ = site
    open_page(browser, out / "index.html")
    head = browser.find_element(By.CSS_SELECTOR, '#matrix-table th[data-col="1"]')
    values = lambda: [float(td.get_attribute("data-v"))  # noqa: E731
                      for td in browser.find_elements(By.CSS_SELECTOR, "#matrix-table tbody tr td:nth-of-type(1)")]
    head.click()
    assert values() == sorted(values())
    head.click()
    assert values() == sorted(values(), reverse=True)


def test_requirement_page_lists_the_missing_branch_and_quotes(site, browser):
    from selenium.webdriver.common.by import By

    out, _ = site
    open_page(browser, out / "req-2.3.2.html")
    lacking = browser.find_elements(By.CSS_SELECTOR, "#lacking + table tbody tr")
    assert [r.find_elements(By.TAG_NAME, "td")[0].text for r in lacking] == [Path(HOSTILE_FILE).stem]
    assert "缺失" in lacking[0].text
    quotes = [q.text for q in browser.find_elements(By.CSS_SELECTOR, "blockquote.quote")]
    assert HOSTILE["script"] + "支部开展主题党日活动" in quotes
    assert problems(browser) == []


def test_branch_page_marks_kinds_and_evidence_filter(site, browser):
    from selenium.webdriver.common.by import By

    out, result = site
    a = next(d for d in result.documents if d.path == "summaries/s001.txt")
    open_page(browser, out / branch_page(a))
    paras = browser.find_elements(By.CSS_SELECTOR, ".para")
    assert len(paras) == 8
    kinds = [p.find_element(By.CSS_SELECTOR, ".kind").text for p in paras]
    assert kinds.count("工作证据") == 3 and "问题不足" in kinds and "下步计划" in kinds
    marks = [m.text for m in browser.find_elements(By.CSS_SELECTOR, "#p5 mark")]
    assert marks == ["三会一课", "主题党日"]
    browser.find_element(By.ID, "only-evidence").click()
    assert sum(p.is_displayed() for p in paras) == 3


def test_screenshot(site, browser):
    from selenium.webdriver.common.by import By

    out, result = site
    open_page(browser, out / "index.html")
    hostile = next(i for i, d in enumerate(result.documents) if d.path == "summaries/s002.txt")
    browser.find_element(By.CSS_SELECTOR, f'td.cell[data-row="{hostile}"][data-req="2.3.2"]').click()
    time.sleep(0.2)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 10_000
    shutil.copy(SCREENSHOT, out / "screenshot.png")
