"""The web app's journeys in a real headless Chromium (Selenium + chromium-driver), as issue 17 lists them.

Run by scripts/browser-test.sh against a small demo world; every step saves a screenshot and asserts on
what the page shows. Exits non-zero on the first failed step, or when the browser logged a console error
the journeys did not cause on purpose.
"""

import argparse
import base64
import json
import random
import sys
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait


class Journeys:
    def __init__(self, url, key, screenshots):
        self.url = url
        self.base = url.split("#")[0]
        self.key = key
        self.screenshots = screenshots
        self.step = 0
        self.allowed_errors = []  # (url part, status) the journeys cause on purpose
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1440,1000",
                    "--disable-gpu", "--no-first-run", "--disable-extensions"]:
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.driver.set_page_load_timeout(30)
        self.main_window = None
        self.console = []

    # MARK: helpers

    def wait(self, condition, timeout=20, message=""):
        # A page that re-renders replaces its elements: a stale one is read again on the next poll.
        return WebDriverWait(self.driver, timeout, poll_frequency=0.1,
                             ignored_exceptions=[StaleElementReferenceException]).until(condition, message)

    def css(self, selector, timeout=20):
        return self.wait(EC.presence_of_element_located((By.CSS_SELECTOR, selector)), timeout, f"no element {selector}")

    def visible(self, selector, timeout=20):
        return self.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, selector)), timeout, f"{selector} not visible")

    def all(self, selector):
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def click(self, selector, timeout=20):
        element = self.wait(EC.element_to_be_clickable((By.CSS_SELECTOR, selector)), timeout, f"{selector} not clickable")
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        element.click()
        return element

    def text(self, selector="main"):
        return self.css(selector).text

    def shot(self, name, full=False):
        """Saves the viewport, or with `full` the whole page (up to 5,000 px) through the DevTools protocol."""
        self.step += 1
        path = f"{self.screenshots}/{self.step:02d}-{name}.png"
        if full:
            size = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
            shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 5000), "scale": 1}})
            with open(path, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
        else:
            self.driver.save_screenshot(path)
        print(f"  screenshot {path}")

    def collect_console(self):
        try:
            self.console.extend(self.driver.get_log("browser"))
        except Exception:  # noqa: BLE001 - a closed window has no log
            pass

    def go(self, hash_route):
        self.driver.execute_script("location.hash = arguments[0]", hash_route)

    def api(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base.rstrip("/") + path, data=data, method=method,
                                         headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")

    def check(self, condition, message):
        if not condition:
            raise AssertionError(message)

    # MARK: journeys

    def open_home(self):
        print("1. open the app: the key moves from the fragment to session storage; the profile picker")
        self.driver.get(self.url)
        self.main_window = self.driver.current_window_handle
        self.css(".profiles-page")
        self.check("admin=" not in self.driver.current_url, "the key is still in the URL")
        stored = self.driver.execute_script("return JSON.parse(sessionStorage.getItem('marquee.keys') || '{}')")
        self.check(stored.get("admin") == self.key, "the admin key was not kept in session storage")
        html = self.driver.execute_script("return document.documentElement.outerHTML")
        self.check(self.key not in html, "the key appears in the page")
        for plan in ["Ad-free", "Standard with ads", "Basic with ads"]:
            self.check(plan in self.text(".profiles-page"), f"no {plan} profiles shown")
        self.shot("profiles")
        self.click(".profile-card[data-plan='standardWithAds']")
        self.css(".row .tile img")
        # A fresh load of the home page: navigation start to the first row's images decoded.
        self.driver.refresh()
        self.css(".row .tile img")
        first_row_ms = self.wait(lambda d: d.execute_script("return window.marqueeTimings && window.marqueeTimings.firstRow"),
                                 20, "the first row's images never decoded")
        self.first_row_ms = first_row_ms
        print(f"  home page: first row's images decoded {first_row_ms} ms after navigation start")
        self.check(first_row_ms < 1000, f"the first row took {first_row_ms} ms (target: under 1 s)")
        rows = self.all(".row")
        self.check(len(rows) >= 3, f"only {len(rows)} rows on the home page")
        for row in rows[:3]:
            self.check(row.find_element(By.CSS_SELECTOR, ".row-reason").text.strip(), "a row has no reason")
        images = self.driver.execute_script(
            "return [...document.querySelectorAll('.row')[0].querySelectorAll('img')].map(i => [i.naturalWidth, i.alt])")
        self.check(all(w > 0 and alt for w, alt in images), "the first row's artwork did not load or has no alt text")
        self.shot("home")

    def keyboard_and_context(self):
        print("2. arrow keys move between tiles; switch device, clock and profile")
        first = self.css(".row .tile")
        first.send_keys(Keys.NULL)
        self.driver.execute_script("arguments[0].focus()", first)
        hero_before = self.text(".hero-title")
        self.driver.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)
        self.wait(lambda d: d.switch_to.active_element.get_attribute("data-col") == "1", 5, "ArrowRight did not move the focus")
        self.wait(lambda d: d.find_element(By.CSS_SELECTOR, ".hero-title").text != hero_before, 5, "the hero did not follow the focus")
        self.driver.switch_to.active_element.send_keys(Keys.ARROW_DOWN)
        self.wait(lambda d: d.switch_to.active_element.get_attribute("data-row") == "1", 5, "ArrowDown did not move to the next row")
        # The clock: morning, then the device: phone.
        Select(self.css("#clock")).select_by_value("morning")
        self.wait(lambda d: d.find_element(By.CSS_SELECTOR, "#daypart").get_attribute("data-daypart") == "morning", 20, "the daypart did not follow the clock")
        self.click(".segmented button[data-device='mobile']")
        self.wait(lambda d: "on mobile" in d.find_element(By.CSS_SELECTOR, ".context-summary").text, 20, "the device did not change")
        self.css(".row .tile img")
        self.shot("home-morning-on-phone")
        # Another profile, on the basic plan (ads), on TV in the evening.
        self.click(".who")
        self.css(".profiles-page")
        self.click(".profile-card[data-plan='basicWithAds']")
        self.css(".row .tile img")
        self.click(".segmented button[data-device='tv']")
        self.wait(lambda d: "on tv" in d.find_element(By.CSS_SELECTOR, ".context-summary").text, 20, "the device did not change to TV")
        Select(self.css("#clock")).select_by_value("evening")
        self.wait(lambda d: d.find_element(By.CSS_SELECTOR, "#daypart").get_attribute("data-daypart") == "evening", 20, "the clock did not change")
        self.css(".row .tile img")
        self.profile = self.driver.execute_script("return JSON.parse(sessionStorage.getItem('marquee.viewer')).profile.id")
        self.check("Basic with ads" in self.text(".who"), "the header does not show the basic-plan profile")

    def open_title(self):
        print("3. open a title: synopsis, cast, More like this")
        tile = next(t for t in self.all(".row:not([data-kind='continue-watching']) .tile"))
        self.title_id = tile.get_attribute("data-title")
        name = tile.find_element(By.CSS_SELECTOR, ".tile-name").get_attribute("textContent").strip()
        self.driver.execute_script("arguments[0].click()", tile)
        self.wait(lambda d: d.find_element(By.CSS_SELECTOR, ".title-page h1").text == name, 20, "the title page did not open")
        self.check(len(self.text(".synopsis")) > 20, "no synopsis")
        self.check("Cast:" in self.text(".title-page"), "no cast")
        self.css(".similar .tile img")
        self.check(len(self.all(".similar .tile")) >= 3, "More like this has fewer than 3 titles")
        self.title_name = name
        # Like it (a rating would mark it done: rated titles leave Continue Watching; the ad-free step rates one).
        self.click("[data-action='like']")
        self.wait(lambda d: d.find_element(By.CSS_SELECTOR, "[data-action='like']").get_attribute("aria-pressed") == "true", 10,
                  "the like was not accepted")
        self.shot("title")

    def play_through_a_break(self):
        print("4. play: the pre-roll and a mid-roll with the ad overlay; click an ad, skip one; come back home")
        self.click("#play")
        self.css(".player")
        info = self.text("#break-info")
        self.check("ad break" in info and "pre-roll" in info, f"no breaks planned for a basic-plan viewer: {info!r}")
        Select(self.css("#speed")).select_by_value("300")
        self.click("#play-pause")
        overlay = self.visible(".ad-overlay", 20)
        self.wait(lambda d: d.find_element(By.CSS_SELECTOR, ".ad-count").text.startswith("Ad 1 of"), 10, "no 'Ad 1 of N'")
        self.check("left in this break" in self.text(".ad-countdown"), "no countdown")
        self.shot("ad-break")
        # Click through: the click beacon, the advertiser's page in a new tab, playback paused.
        learn = self.css(".ad-learn")
        learn.click()
        time.sleep(0.5)
        for handle in self.driver.window_handles:
            if handle != self.main_window:
                self.driver.switch_to.window(handle)
                self.driver.close()
        self.driver.switch_to.window(self.main_window)
        self.wait(lambda d: "Play" in d.find_element(By.CSS_SELECTOR, "#play-pause").text, 5, "playback did not pause on the click")
        self.click("#play-pause")
        skipped = self.skip_if_offered()
        # The content resumes after the pre-roll, then a mid-roll interrupts it.
        self.wait(lambda d: not d.find_element(By.CSS_SELECTOR, ".ad-overlay").is_displayed(), 90, "the pre-roll never ended")
        self.wait(lambda d: d.find_element(By.CSS_SELECTOR, ".ad-overlay").is_displayed(), 60, "no mid-roll")
        Select(self.css("#speed")).select_by_value("60")
        position = int(self.css(".timeline").get_attribute("value"))
        self.check(position > 0, "the mid-roll came at the start")
        self.shot("mid-roll")
        skipped = self.skip_if_offered() or skipped
        print(f"  skipped an ad: {skipped}")
        self.wait(lambda d: not d.find_element(By.CSS_SELECTOR, ".ad-overlay").is_displayed(), 120, "the mid-roll never ended")
        time.sleep(0.5)
        self.click("#back")
        self.css(".row .tile img")
        continue_row = self.css(".row[data-kind='continue-watching']", 20)
        first = continue_row.find_element(By.CSS_SELECTOR, ".tile")
        self.check(first.get_attribute("data-title") == self.title_id, "Continue Watching does not start with the title just played")
        because = [r.text.split("\n")[0] for r in self.all(".row[data-kind='because-you-watched']")]
        print(f"  Because You Watched rows: {because}")
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", continue_row)
        self.shot("continue-watching")

    def skip_if_offered(self):
        """Skips the ad playing once its skip offset has passed (ads of 15 s or more); False when the break ends first."""
        def ready(d):
            overlay = d.find_element(By.CSS_SELECTOR, ".ad-overlay")
            if not overlay.is_displayed():
                return "ended"
            skip = d.find_element(By.CSS_SELECTOR, ".ad-skip")
            return "skip" if skip.is_displayed() and skip.is_enabled() else False
        if self.wait(ready, 60, "the break neither ended nor offered a skip") == "skip":
            try:
                self.driver.find_element(By.CSS_SELECTOR, ".ad-skip").click()
                return True
            except Exception:  # noqa: BLE001 - the ad may end between the check and the click
                return False
        return False

    def ad_free_sees_no_ads(self):
        print("5. an ad-free profile never sees an ad")
        self.go("#/profiles")
        self.click(".profile-card[data-plan='adFree']")
        self.css(".row .tile img")
        tile = self.all(".row:not([data-kind='continue-watching']) .tile")[0]
        self.go(f"#/title/{tile.get_attribute('data-title')}")
        self.css(".title-page .star")
        self.click(".star[data-stars='4']")
        self.wait(lambda d: d.find_element(By.CSS_SELECTOR, ".star[data-stars='4']").get_attribute("aria-checked") == "true", 5)
        self.wait(lambda d: "Rated 4" in d.find_element(By.CSS_SELECTOR, "#toast").text, 10, "the rating was not accepted")
        self.click("#play")
        self.wait(lambda d: "Ad-free plan" in d.find_element(By.CSS_SELECTOR, "#break-info").text, 20)
        Select(self.css("#speed")).select_by_value("300")
        self.click("#play-pause")
        deadline = time.time() + 4
        while time.time() < deadline:
            self.check(not self.css(".ad-overlay").is_displayed(), "an ad-free profile was shown an ad")
            time.sleep(0.2)
        self.check(int(self.css(".timeline").get_attribute("value")) > 600, "playback did not advance")
        self.click("#back")
        self.css(".row .tile img")

    def ads_console(self):
        print("6. the ads console: delivery, spend and pacing charts; create a campaign, with an inline error first")
        self.go("#/ads")
        self.css("#campaigns tbody tr")
        kpis = self.text(".kpis")
        self.check("active campaigns" in kpis.lower(), "no KPIs")
        spent_today = self.driver.execute_script(
            "return [...document.querySelectorAll('.kpi')].find(k => k.textContent.includes('Spent today')).querySelector('.kpi-value').textContent")
        print(f"  spent today (the journeys' ad impressions): {spent_today}")
        if spent_today in ("$0.00", "–") and time.gmtime().tm_yday != self.start_day:
            print("  NOTICE: the UTC day changed during the run: today's spend starts again at $0.00")
        else:
            self.check(spent_today not in ("$0.00", "–"), "the impressions the player reported were not charged today")
        self.shot("ads-console", full=True)
        # The campaign with the most impressions.
        best = self.driver.execute_script("""
            const rows = [...document.querySelectorAll('#campaigns tbody tr')];
            rows.sort((a, b) => Number(b.children[4].textContent.replace(/,/g, '')) - Number(a.children[4].textContent.replace(/,/g, '')));
            return rows[0].dataset.campaign;""")
        self.go(f"#/ads/campaign/{best}")
        self.css(".campaign-page svg.chart")
        titles = [e.text for e in self.all(".chart-box figcaption")]
        for expected in ["Impressions per day", "Spend per day", "Spend so far", "Click-through rate", "traffic curve"]:
            self.check(any(expected in t for t in titles), f"no chart '{expected}' (charts: {titles})")
        bars = self.driver.execute_script("return document.querySelectorAll('.campaign-page rect.bar').length")
        self.check(bars > 0, "the delivery chart has no bars")
        self.check("Total budget" in self.text(".meters"), "no budget meter")
        self.check("Targeting" in self.text(".campaign-page"), "no targeting")
        self.shot("campaign-charts", full=True)
        # A bad campaign: a daily budget above the total. The API's message shows at the field.
        self.go("#/ads/new-campaign")
        form = self.css("#campaign-form")
        form.find_element(By.NAME, "name").send_keys("Browser Test Launch")
        form.find_element(By.NAME, "totalBudgetCents").send_keys("1000")
        form.find_element(By.NAME, "dailyBudgetCents").send_keys("5000")
        form.find_element(By.NAME, "cpmBidCents").send_keys("25")
        self.driver.execute_script("arguments[0].click()", form.find_element(By.CSS_SELECTOR, "input[value='tv']"))
        self.allowed_errors.append(("/v1/campaigns", 422))
        self.click("#campaign-form button[type=submit]")
        error = self.wait(lambda d: d.find_element(By.CSS_SELECTOR, ".field[data-field='dailyBudgetCents'] .field-error").text, 20,
                          "no inline error at the daily budget")
        print(f"  inline error: {error}")
        self.check(error.startswith("dailyBudgetCents"), f"the error does not name the field: {error}")
        self.check(form.find_element(By.NAME, "dailyBudgetCents").get_attribute("aria-invalid") == "true", "the field is not marked invalid")
        self.shot("campaign-inline-error")
        daily = form.find_element(By.NAME, "dailyBudgetCents")
        daily.clear()
        daily.send_keys("100")
        self.click("#campaign-form button[type=submit]")
        self.wait(lambda d: "Browser Test Launch" in d.find_element(By.CSS_SELECTOR, "main h1").text, 20, "the new campaign did not open")
        self.check("tv" in self.text(".facts"), "the targeting was not kept")
        self.shot("campaign-created")
        # Its first creative, from the campaign's page.
        self.click(".section-head a.button")
        creative = self.css("#creative-form")
        creative.find_element(By.NAME, "name").send_keys("Launch 15s")
        Select(creative.find_element(By.NAME, "durationSeconds")).select_by_value("15")
        creative.find_element(By.NAME, "clickUrl").send_keys("https://velocity.example/launch")
        self.click("#creative-form button[type=submit]")
        self.wait(lambda d: "Launch 15s" in d.find_element(By.CSS_SELECTOR, "#creatives").text, 20, "the creative was not created")

    def experiment_report(self):
        print("7. experiments: start an A/B test from the form, open its report")
        self.go("#/experiments")
        self.click("#new-experiment")
        form = self.css("#experiment-form")
        key = f"web-explore-{int(time.time()) % 1000000}"
        form.find_element(By.NAME, "key").send_keys(key)
        form.find_element(By.NAME, "hypothesis").send_keys("More exploration in the rows finds titles viewers start")
        Select(self.css("#parameter")).select_by_value("home.explorationShare")
        self.css("#treatment-value").send_keys("0.3")
        self.click("#experiment-form button[type=submit]")
        self.css("#recommendation")
        # Traffic: home pages for some viewers, so that both variants have exposed units. Every process picks a
        # new experiment up within its poll interval and writes exposures every second: ask until both count.
        _, profiles = self.api("GET", "/v1/profiles?limit=80")
        deadline = time.time() + 30
        pages = {}
        while True:
            for p in profiles["items"]:
                _, pages[p["id"]] = self.api("GET", f"/v1/profiles/{p['id']}/home?rows=2&perRow=4")
            _, report = self.api("GET", f"/v1/experiments/{key}/report")
            units = [v["units"] for v in report["variants"]]
            if all(n > 0 for n in units) or time.time() > deadline:
                break
            time.sleep(0.5)
        print(f"  exposed units per variant: {units}")
        self.check(all(n > 0 for n in units), "no exposures reached the report")
        # Outcomes: about half the viewers start a title from their page (seeded), so the metrics vary.
        rng = random.Random(17)
        # After every exposure (which the report's check above has seen) and before the report's analysis time.
        stamp = time.time()
        now = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(stamp)) + f".{int(stamp * 1000) % 1000:03d}Z"
        events = []
        for n, (profile, page) in enumerate(sorted(pages.items())):
            rows = [r for r in page["rows"] if r["items"]]
            if not rows or rng.random() < 0.5:
                continue
            row = rng.choice(rows)
            item = row["items"][0]
            context = {"device": "tv", "sessionId": f"s-exp-{n}"}
            events.append({"id": f"exp-play-{n}", "profileId": profile, "type": "play", "timestamp": now, "titleId": item["titleId"],
                           "row": row["id"], "decisionId": page["decisionId"], "context": context})
            events.append({"id": f"exp-progress-{n}", "profileId": profile, "type": "progress", "timestamp": now, "titleId": item["titleId"],
                           "positionSeconds": rng.randint(60, 1500), "durationSeconds": 1800, "context": context})
        _, result = self.api("POST", "/v1/events", {"events": events})
        self.check(not result["rejected"], f"outcome events refused: {result['rejected'][:2]}")
        time.sleep(0.2)
        self.driver.refresh()
        self.css("#recommendation")
        self.check("recommendation" in self.text("#recommendation").lower(), "no recommendation")
        self.check("sample ratio" in self.text("#srm").lower(), "no SRM verdict")
        self.check("guardrails" in self.text("#guardrails").lower(), "no guardrails")
        table = self.text("#variants-table")
        self.check("control" in table and "treatment" in table, "the per-variant table lacks a variant")
        charts = self.all(".report svg.chart")
        print(f"  report charts: {len(charts)}")
        self.check(any("95% intervals" in c.text for c in self.all(".report figcaption")), "no interval chart")
        self.check(len(self.all(".report .interval .estimate")) >= 1, "the interval chart has no estimate")
        self.shot("experiment-report", full=True)

    def chat(self):
        print("8. the analyst chat: a question, a follow-up, a chart")
        self.click("#chat-toggle")
        self.visible("#chat")
        box = self.css("#chat-input")
        # "The last 7 days" holds the demo's ad days whatever the weekday (they end the day before it was made).
        box.send_keys("How many ad impressions per day over the last 7 days?")
        self.click("#chat-send")
        self.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, ".msg.pending"), 60, "the analyst never answered")
        last = self.all(".chat-log .msg")[-1]
        self.check("msg-bot" in last.get_attribute("class"), f"no answer (the route must be on this server): {last.text}")
        self.check(last.find_element(By.CSS_SELECTOR, ".answer-text").text.strip(), "an empty answer")
        self.check(any(ch.isdigit() for ch in last.text), f"the answer holds no number: {last.text}")
        box.send_keys("And only on TV?")
        self.click("#chat-send")
        self.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, ".msg.pending"), 60, "the follow-up was never answered")
        answers = self.all(".chat-log .msg-bot")
        self.check(len(answers) >= 2, "the follow-up got no answer")
        self.check("TV" in answers[-1].text or "tv" in answers[-1].text, f"the follow-up lost its context: {answers[-1].text}")
        charts = self.all(".chat-log svg.chart")
        self.check(len(charts) >= 1, "no chart in the chat answers")
        toggle = self.all(".chat-log .sql-toggle")
        self.check(bool(toggle), "no show-SQL toggle")
        toggle[-1].click()
        self.check("ad_facts" in self.all(".chat-log pre.sql")[-1].text, "show SQL did not show the SQL")
        self.shot("chat")
        # An ambiguous name: the question back offers its choices as buttons, and a choice answers it.
        box.send_keys("How is Harbor doing?")
        self.click("#chat-send")
        self.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, ".msg.pending"), 60, "the clarification never came")
        choices = self.all(".chat-log .choices button")
        self.check(len(choices) >= 2, "no clarification choices")
        before = len(self.all(".chat-log .msg-bot"))
        chosen = choices[0].text.strip()
        choices[0].click()
        self.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".chat-log .msg-bot")) > before
                  and not d.find_elements(By.CSS_SELECTOR, ".msg.pending"), 60, "the choice was not answered")
        reply = self.all(".chat-log .msg-bot")[-1].text
        self.check(chosen and (chosen in reply or "viewers" in reply), f"the choice {chosen!r} got no answer about it: {reply}")
        self.shot("chat-clarification")

    def responsive(self):
        print("9. phone and TV widths: the home page and the ads console fit the screen")
        self.click("#chat-toggle") if self.css("#chat").is_displayed() else None
        for name, (width, height) in [("phone", (390, 844)), ("tv", (1920, 1080))]:
            self.driver.set_window_size(width, height)
            for route, ready in [("#/", ".row .tile img"), ("#/ads", "#campaigns tbody tr")]:
                self.go(route)
                self.css(ready)
                time.sleep(0.3)
                overflow = self.driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
                self.check(overflow <= 0, f"{route} is {overflow} px wider than a {name} screen")
                self.shot(f"{name}-{'home' if route == '#/' else 'ads'}")
        self.driver.set_window_size(1440, 1000)

    def check_console(self):
        rejected = self.driver.execute_script("return JSON.parse(sessionStorage.getItem('marquee.rejected') || '[]')")
        self.check(not rejected, f"the server refused events the app sent: {rejected}")
        self.collect_console()
        problems = []
        for entry in self.console:
            if entry.get("level") != "SEVERE":
                continue
            message = entry.get("message", "")
            if any(part in message and f"status of {status}" in message for part, status in self.allowed_errors):
                continue
            problems.append(message)
        if problems:
            raise AssertionError("console errors:\n  " + "\n  ".join(problems))
        print(f"console: no errors ({len(self.console)} entries, {len(self.allowed_errors)} kinds of expected error responses)")

    def run(self, only=None):
        started = time.time()
        self.start_day = time.gmtime().tm_yday
        self.first_row_ms = None
        try:
            journeys = [self.open_home, self.keyboard_and_context, self.open_title, self.play_through_a_break,
                        self.ad_free_sees_no_ads, self.ads_console, self.experiment_report, self.chat, self.responsive]
            if only:
                # Debugging a later step against a server earlier runs already played on: start at the app.
                self.driver.get(self.url)
                self.main_window = self.driver.current_window_handle
                journeys = [j for j in journeys if j.__name__ in only]
            for journey in journeys:
                journey()
                self.collect_console()
            self.check_console()
        except Exception:
            self.shot("failure")
            self.collect_console()
            for entry in self.console[-20:]:
                print(f"  console {entry.get('level')}: {entry.get('message')}", file=sys.stderr)
            raise
        finally:
            self.driver.quit()
        print(f"browser journeys passed in {time.time() - started:.1f} s; first row of the home page in {self.first_row_ms} ms")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True, help="the app's URL with the key in its fragment")
    parser.add_argument("--key", required=True)
    parser.add_argument("--screenshots", required=True)
    parser.add_argument("--only", nargs="*", help="run only these journeys (for debugging against a running server)")
    args = parser.parse_args()
    Journeys(args.url, args.key, args.screenshots).run(args.only)


if __name__ == "__main__":
    main()
