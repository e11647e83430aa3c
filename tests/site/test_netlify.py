"""netlify.toml keeps every 12factor.net link working and its headers match the built site.

Links to 12factor.net swap domains onto this site: the factor slugs are the
same, and translated paths lead to the English page. The checks here read
netlify.toml and the built site; the browser checks in test_browser.py load
every page through the same headers.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import re
from pathlib import Path

import pytest

from proven.paths import ROOT
from proven.site.build import MISSING_PAGE, PAGES
from proven.site.netlify import NetlifyConfig, NetlifyServer

# 12factor.net's factor pages, in its order (its site serves exactly these slugs).
TWELVE_FACTOR_SLUGS = [
    "codebase",
    "dependencies",
    "config",
    "backing-services",
    "build-release-run",
    "processes",
    "port-binding",
    "concurrency",
    "disposability",
    "dev-prod-parity",
    "logs",
    "admin-processes",
]

# The translations 12factor.net serves at /<locale>/ and /<locale>/<factor>.
LOCALES = (
    "ar az be bg bn by cs de el es fa fr he hi hr hu id it ja ko nl pl pt_br ru sk sv th tr uk vi "
    "zh_cn zh_tw"
).split()

CONFIG = NetlifyConfig.load()
INLINE_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.S)
FINGERPRINT = re.compile(r"\.[0-9a-f]{8,}\.")


def test_every_factor_has_a_page_and_a_redirect():
    """Each 12factor.net slug is a page here and `/<slug>` redirects to `/<slug>/`."""
    english = {r.source: r for r in CONFIG.redirects if r.source.count("/") == 1}
    factor_rules = {s for s in english if s.lstrip("/") in TWELVE_FACTOR_SLUGS}
    for slug in TWELVE_FACTOR_SLUGS:
        assert (ROOT / "docs" / f"{slug}.md").is_file(), f"no page docs/{slug}.md"
        rule = english.get(f"/{slug}")
        assert rule is not None, f'netlify.toml: add a redirect from "/{slug}" to "/{slug}/"'
        assert (rule.to, rule.status) == (f"/{slug}/", 301), rule
    assert len(factor_rules) == len(TWELVE_FACTOR_SLUGS)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_has_redirects(locale):
    """`/<locale>` leads to the overview and `/<locale>/<factor>` to the English factor page."""
    assert CONFIG.redirects[[r.source for r in CONFIG.redirects].index(f"/{locale}")].to == "/"
    for slug in TWELVE_FACTOR_SLUGS:
        target = next(t for r in CONFIG.redirects if (t := r.match(f"/{locale}/{slug}")))
        assert target == f"/{slug}/", f"/{locale}/{slug} goes to {target}"


def follow(server: NetlifyServer, path: str, hops: int = 4) -> tuple[int, str, list[str]]:
    """Request `path` over HTTP and follow redirects: (final status, final path, every hop)."""
    seen = [path]
    for _ in range(hops):
        conn = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=10)
        conn.request("GET", path)
        answer = conn.getresponse()
        answer.read()
        conn.close()
        if answer.status not in (301, 302):
            return answer.status, path, seen
        path = answer.getheader("Location")
        seen.append(path)
    raise AssertionError(f"redirect loop: {' -> '.join(seen)}")


def twelve_factor_paths() -> list[tuple[str, str]]:
    """Every path 12factor.net serves, with the page it should land on here."""
    paths = [("/", "/")]
    for locale in LOCALES:
        paths += [(f"/{locale}", "/"), (f"/{locale}/", "/")]
    for slug in TWELVE_FACTOR_SLUGS:
        paths += [(f"/{slug}", f"/{slug}/"), (f"/{slug}/", f"/{slug}/")]
        for locale in LOCALES:
            paths += [(f"/{locale}/{slug}", f"/{slug}/"), (f"/{locale}/{slug}/", f"/{slug}/")]
    return paths


def test_every_12factor_path_lands_on_its_page(netlify):
    """All 12factor.net paths (with and without a slash, in every locale) reach our page."""
    wrong = []
    for path, page in twelve_factor_paths():
        status, final, hops = follow(netlify, path)
        if (status, final) != (200, page) or len(hops) > 2:
            wrong.append(f"{' -> '.join(hops)} ({status}), expected {page}")
    assert wrong == []


@pytest.mark.parametrize("page", PAGES)
def test_every_page_is_served_without_a_redirect(netlify, page):
    """The site's own links never go through a redirect."""
    assert follow(netlify, page)[0:2] == (200, page)


def test_unknown_path_gets_the_404_page(netlify, built_site):
    """An unknown path answers 404 with the site's own page, which links every factor."""
    status, file, _ = netlify.resolve(MISSING_PAGE)
    assert status == 404 and file == built_site / "404.html"
    html = file.read_text()
    assert "Page not found" in html
    for slug in TWELVE_FACTOR_SLUGS:
        assert f'href="/{slug}/"' in html


def csp_directives() -> dict[str, list[str]]:
    csp = CONFIG.headers_for("/")["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}


def test_csp_hashes_are_exactly_the_inline_scripts(built_site: Path):
    """script-src allows each inline script of the built site by hash, and nothing else inline."""
    needed = set()
    for html in built_site.rglob("*.html"):
        for script in INLINE_SCRIPT.finditer(html.read_text()):
            if "src=" in script["attrs"] or "application/json" in script["attrs"]:
                continue
            digest = hashlib.sha256(script["body"].encode()).digest()
            needed.add(f"'sha256-{base64.b64encode(digest).decode()}'")
    allowed = {s for s in csp_directives()["script-src"] if s.startswith("'sha256-")}
    line = " ".join(["'self'", *sorted(needed)])
    assert allowed == needed, f"netlify.toml: set script-src to: {line}"
    assert "'unsafe-inline'" not in csp_directives()["script-src"]
    assert "'unsafe-inline'" not in csp_directives()["style-src"]


def test_security_headers_on_every_path():
    """Every response carries the security headers, including frame-ancestors 'none'."""
    required = {
        "Content-Security-Policy",
        "Strict-Transport-Security",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Permissions-Policy",
    }
    for path in [*PAGES, MISSING_PAGE, "/assets/javascripts/bundle.0000000000.min.js"]:
        assert required <= set(CONFIG.headers_for(path)), path
    assert csp_directives()["frame-ancestors"] == ["'none'"]
    assert csp_directives()["default-src"] == ["'self'"]
    assert "max-age=" in CONFIG.headers_for("/")["Strict-Transport-Security"]
    assert CONFIG.headers_for("/")["X-Content-Type-Options"] == "nosniff"


def test_long_cache_only_for_fingerprinted_files(built_site: Path):
    """A file cached for a year carries a content hash in its name; pages are never cached long."""
    long_cached = []
    for file in built_site.rglob("*"):
        if not file.is_file():
            continue
        path = "/" + file.relative_to(built_site).as_posix()
        cache = CONFIG.headers_for(path).get("Cache-Control", "")
        if "immutable" in cache or "max-age=31536000" in cache:
            assert FINGERPRINT.search(file.name), f"{path} is cached for a year but has no hash"
            long_cached.append(path)
    assert any("bundle." in p for p in long_cached), "Material's bundle should be cached long"
    assert any("/stylesheets/main." in p for p in long_cached)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_can_be_shared(built_site: Path, page: str):
    """Each page has a description, a canonical link and Open Graph title and description."""
    html = (built_site / page.strip("/") / "index.html").read_text()
    for needle in (
        '<meta name="description" content="',
        '<link rel="canonical" href="https://',
        '<meta property="og:title" content="',
        '<meta property="og:description" content="',
    ):
        assert needle in html, f"{page}: no {needle}"
    assert re.search(r'<meta name="description" content="[^"]{40,}"', html), page


def test_sitemap_lists_every_page(built_site: Path):
    """sitemap.xml names every page under site_url."""
    sitemap = (built_site / "sitemap.xml").read_text()
    for page in PAGES:
        assert f"<loc>https://twelve-factor-proven.netlify.app{page}</loc>" in sitemap, page
