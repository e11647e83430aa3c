"""Every page works in a real browser, served with netlify.toml's headers and redirects.

Headless Chromium (the system's, else the one `playwright install chromium`
downloads; see the `browser` fixture in `tests/site/conftest.py`) loads each
page of the built site from a local stand-in for Netlify
(`proven.site.netlify`) and checks what a reader would notice: errors,
blocked or failed requests, requests to another host, Content-Security-Policy
violations, accessibility problems of serious or critical impact, a page that
scrolls sideways on a phone. Then it uses the site: linked tabs,
search, the colour-scheme toggle.

Requests to any host other than the local server are recorded and aborted,
so a mistake can never send traffic off the machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

from proven.site.build import MISSING_PAGE, PAGES
from proven.waiting import poll

playwright_api = pytest.importorskip("playwright.sync_api")
axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")

SERIOUS = {"serious", "critical"}

# Collects CSP violations from the page itself (they also show as console errors).
RECORD_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile}:${e.lineNumber}`);
});
"""


@dataclass
class Visit:
    """What one page did while it loaded."""

    errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    offsite: list[str] = field(default_factory=list)

    def clear(self) -> None:
        """Forget what earlier pages did, before a shared tab loads the next one."""
        self.errors.clear()
        self.failed.clear()
        self.offsite.clear()


def open_page(browser, base_url: str, *, width: int = 1280, **context_options):
    """A fresh context and page that record errors, failures and off-site requests."""
    context = browser.new_context(
        viewport={"width": width, "height": 900}, base_url=base_url, **context_options
    )
    visit = Visit()
    host = urlsplit(base_url).netloc

    def route(r) -> None:
        if urlsplit(r.request.url).netloc == host or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            visit.offsite.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    context.add_init_script(RECORD_CSP)
    page = context.new_page()

    def console(m) -> None:
        if m.type not in ("error", "assert"):
            return
        if urlsplit(m.location.get("url", "")).path == MISSING_PAGE and "404" in m.text:
            return  # Chromium reports the 404 page's own status; that one is intended
        visit.errors.append(f"console.{m.type}: {m.text}")

    page.on("console", console)
    page.on("pageerror", lambda e: visit.errors.append(f"uncaught: {e}"))
    page.on(
        "requestfailed",
        lambda r: (
            visit.failed.append(f"{r.url}: {r.failure}") if urlsplit(r.url).netloc == host else None
        ),
    )

    def response(r) -> None:
        if r.status >= 400 and urlsplit(r.url).path != MISSING_PAGE:
            visit.failed.append(f"{r.url}: HTTP {r.status}")

    page.on("response", response)
    return context, page, visit


def settle(page) -> None:
    """Wait until the page and everything it fetches are done (the network is idle).

    Playwright calls the network idle after 500 ms without a request: the
    checks that nothing more is fetched (search, above all) need that window.
    """
    page.wait_for_load_state("networkidle")


def laid_out(page) -> None:
    """Wait until the page has loaded, its fonts are ready and it has painted twice.

    Enough for checks of what the page shows (its width, its colours), which
    need no quiet network window.
    """
    page.wait_for_load_state("load")
    page.evaluate(
        "document.fonts.ready.then(() => new Promise(done =>"
        " requestAnimationFrame(() => requestAnimationFrame(done))))"
    )


def serious_axe_findings(page) -> list[str]:
    """Axe's findings of serious or critical impact on the page, a line each."""
    results = axe_module.Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(n["target"][0] for n in v["nodes"][:3])
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
    ]


def is_search(path: str) -> bool:
    """Material's search index and search worker (as the site benchmark counts them)."""
    return path.startswith(("/search/", "/assets/javascripts/workers/"))


def search_fetched(netlify, since: int) -> list[str]:
    """Paths of the search index and worker the server has answered since request `since`."""
    return [path for path, _, _ in netlify.requests[since:] if is_search(path)]


@pytest.fixture(scope="module")
def desktop_tab(browser, netlify):
    """One desktop tab that the page-by-page checks load every page in, one after another.

    Each check looks at what one page load does, and a full navigation starts
    the page afresh (its scripts, its init script); routing every request turns
    off the HTTP cache, so each load fetches all it needs, as a first visit does.
    A new context per page would cost Chromium a new renderer process: about
    0.7 s of CPU a page.
    """
    context, page, visit = open_page(browser, netlify.url)
    yield page, visit
    context.close()


@pytest.fixture(scope="module")
def phone_tab(browser, netlify):
    """One tab on a 375 px touch screen, shared like `desktop_tab`."""
    context, page, visit = open_page(
        browser, netlify.url, width=375, is_mobile=True, has_touch=True
    )
    yield page, visit
    context.close()


@pytest.mark.parametrize("path", [*PAGES, MISSING_PAGE])
def test_page_loads_cleanly(desktop_tab, netlify, path):
    """No console error, no failed or off-site request, no CSP violation, no serious axe finding."""
    page, visit = desktop_tab
    visit.clear()
    start = len(netlify.requests)
    answer = page.goto(path)
    settle(page)
    assert answer is not None
    assert answer.status == (404 if path == MISSING_PAGE else 200)
    assert search_fetched(netlify, start) == [], f"{path}: search loaded before it was asked"
    csp = page.evaluate("window.__cspViolations")
    assert csp == [], f"{path}: Content-Security-Policy violations"
    assert visit.offsite == [], f"{path}: requests off 127.0.0.1"
    assert visit.failed == [], f"{path}: failed requests"
    assert visit.errors == [], f"{path}: console errors"
    serious = serious_axe_findings(page)
    assert not serious, f"{path}: accessibility violations:\n" + "\n".join(serious)


@pytest.mark.parametrize("path", [*PAGES, MISSING_PAGE])
def test_nothing_scrolls_sideways_on_a_phone(phone_tab, path):
    """At 375 px wide the page is no wider than the screen (code blocks scroll inside)."""
    page, _ = phone_tab
    page.goto(path)
    laid_out(page)
    width = page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
    )
    assert width <= 375, f"{path} is {width} px wide at 375 px"


def test_linked_tabs_switch_together(browser, netlify):
    """Choosing "Good" once switches every Bad/Good pair, on this page and the next."""
    context, page, visit = open_page(browser, netlify.url)
    try:
        page.goto("/stateless-processes/")
        settle(page)
        labels = page.locator(".tabbed-set")
        assert labels.count() >= 2

        def chosen() -> set[str]:
            return set(
                page.eval_on_selector_all(
                    ".tabbed-set",
                    """sets => sets.map(s => {
                        const i = [...s.querySelectorAll(':scope > input')]
                            .findIndex(x => x.checked);
                        return s.querySelectorAll('.tabbed-labels > label')[i].innerText.trim();
                    })""",
                )
            )

        assert chosen() == {"Bad"}
        page.locator(".tabbed-labels > label", has_text="Good").first.click()
        assert poll(lambda: chosen() == {"Good"}), (
            f"choosing Good in one pair did not switch the others: {chosen()}"
        )
        page.goto("/processes/")
        settle(page)
        assert chosen() == {"Good"}
        assert visit.errors == []
    finally:
        context.close()


def sticky_sessions_results(page) -> list[str]:
    """Type "sticky sessions" in the focused search box; the links of the results listed."""
    search = page.locator("input.md-search__input")
    assert poll(lambda: search.evaluate("e => e === document.activeElement")), (
        "the search box did not get the focus"
    )
    search.press_sequentially("sticky sessions", delay=20)
    results = page.locator(".md-search-result__item a")
    results.first.wait_for(timeout=15_000)
    # Material re-renders the list as each typed letter's query comes back: read the
    # links in one call, and only once two reads a moment apart agree.
    listed: list[list[str]] = [[]]

    def settled() -> bool:
        hrefs = results.evaluate_all("links => links.map(a => a.getAttribute('href'))")
        stable = bool(hrefs) and hrefs == listed[-1]
        listed.append(hrefs)
        return stable

    assert poll(settled, interval=0.25), f"the results kept changing: {listed[-2:]}"
    return listed[-1]


def test_search_finds_sticky_sessions(browser, netlify):
    """On a cold page, search is not loaded; clicking the box and typing lists Processes."""
    context, page, visit = open_page(browser, netlify.url)
    try:
        start = len(netlify.requests)
        page.goto("/")
        settle(page)
        assert search_fetched(netlify, start) == [], "search loaded before it was asked"
        page.locator("input.md-search__input").click()
        hrefs = sticky_sessions_results(page)
        hit = [h for h in hrefs if "/processes/" in h and h.endswith("#sticky-sessions")]
        assert hit, f"no result links the sticky-sessions section: {hrefs}"
        fetched = search_fetched(netlify, start)
        assert "/search/search_index.json" in fetched, fetched
        assert any(p.startswith("/assets/javascripts/workers/search.") for p in fetched), fetched
        assert len(fetched) == len(set(fetched)) == 2, f"search fetched more than once: {fetched}"
        assert visit.errors == [] and visit.failed == [] and visit.offsite == []
    finally:
        context.close()


@pytest.mark.parametrize("key", ["/", "s", "f"])
def test_search_shortcut_loads_search(browser, netlify, key):
    """Material's keyboard shortcuts open search on a cold page, and it finds "sticky sessions"."""
    context, page, visit = open_page(browser, netlify.url)
    try:
        start = len(netlify.requests)
        page.goto("/config/")
        settle(page)
        assert search_fetched(netlify, start) == []
        page.keyboard.press(key)
        hrefs = sticky_sessions_results(page)
        assert any("/processes/" in h for h in hrefs), hrefs
        assert visit.errors == [] and visit.failed == [] and visit.offsite == []
    finally:
        context.close()


def test_search_on_a_phone(browser, netlify):
    """On a phone the header's search button opens search, which then loads and finds results."""
    context, page, visit = open_page(
        browser, netlify.url, width=375, is_mobile=True, has_touch=True
    )
    try:
        start = len(netlify.requests)
        page.goto("/logs/")
        settle(page)
        assert search_fetched(netlify, start) == []
        page.locator("label.md-header__button[for='__search']").click()
        hrefs = sticky_sessions_results(page)
        assert any("/processes/" in h for h in hrefs), hrefs
        assert visit.errors == [] and visit.failed == [] and visit.offsite == []
    finally:
        context.close()


def test_search_result_highlights_on_arrival(browser, netlify):
    """Following a result (?h=) loads search at once and marks the words on the page."""
    context, page, visit = open_page(browser, netlify.url)
    try:
        page.goto("/processes/?h=sticky")
        assert poll(lambda: page.locator("mark[data-md-highlight]").count() > 0), (
            "no word highlighted on a page reached from a search result"
        )
        assert visit.errors == [] and visit.failed == [] and visit.offsite == []
    finally:
        context.close()


def test_colour_scheme_toggle(browser, netlify):
    """The toggle switches between the light and the dark scheme, and the choice sticks."""
    context, page, visit = open_page(browser, netlify.url, color_scheme="light")
    try:
        page.goto("/")
        settle(page)

        def scheme() -> str:
            return page.evaluate("document.body.getAttribute('data-md-color-scheme')")

        background = "getComputedStyle(document.body).backgroundColor"
        assert scheme() == "default"
        light = page.evaluate(background)
        page.locator("label.md-header__button[for^='__palette']:visible").first.click()
        assert poll(lambda: scheme() == "slate"), f"the toggle left the scheme at {scheme()}"
        assert page.evaluate(background) != light
        page.goto("/processes/")
        settle(page)
        assert scheme() == "slate"
        page.locator("label.md-header__button[for^='__palette']:visible").first.click()
        assert poll(lambda: scheme() == "default"), f"the toggle left the scheme at {scheme()}"
        assert visit.errors == []
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/", "/stateless-processes/", "/benefits-and-trade-offs/"])
def test_dark_scheme_is_accessible(browser, netlify, path):
    """In the dark scheme (the pages with diagrams), axe finds nothing serious either."""
    context, page, visit = open_page(browser, netlify.url, color_scheme="dark")
    try:
        page.goto(path)
        laid_out(page)
        assert page.evaluate("document.body.dataset.mdColorScheme") == "slate"
        serious = serious_axe_findings(page)
        assert not serious, f"{path} (dark): accessibility violations:\n" + "\n".join(serious)
        assert visit.errors == []
    finally:
        context.close()
