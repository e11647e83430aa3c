"""Links into the harness reference from before it was split by module still land.

The reference was one page, `/reference/`, with anchors such as
`#harness.processes.AppProcess` (the package's old name) and then
`#proven.processes.AppProcess`. Each module now has a page of its own under
`/reference/`; a link to the old place is sent on to the new one.
"""

import pytest


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/reference/#harness.processes.AppProcess", "/reference/processes/"),
        ("/reference/#proven.services.RedisServer.start", "/reference/services/"),
        ("/reference/#harness.soak.Stateful", "/reference/soak/"),
        ("/reference/#proven.claims.claim", "/reference/project/"),
        ("/reference/check/#proven.check.checks.Runner", "/reference/checks/"),
        ("/reference/check/#proven.check.checks.run_check", "/reference/checks/"),
    ],
)
def test_an_old_reference_link_lands_on_the_module_page(browser, netlify, old, new):
    """The browser ends on the module's page, scrolled to the same name (now `proven.…`)."""
    page = browser.new_page()
    try:
        page.goto(netlify.url + old)
        anchor = "#proven." + old.split("#", 1)[1].split(".", 1)[1]
        page.wait_for_url(netlify.url + new + anchor, timeout=10_000)
        assert page.locator(f'[id="{anchor[1:]}"]').count() == 1
    finally:
        page.close()


def test_a_fixture_link_stays_on_the_first_page(browser, netlify):
    """The fixtures were and are on `/reference/`: their links do not move."""
    page = browser.new_page()
    try:
        page.goto(netlify.url + "/reference/#proven.plugin.start_app")
        page.wait_for_load_state("load")
        assert page.url == netlify.url + "/reference/#proven.plugin.start_app"
        assert page.locator('[id="proven.plugin.start_app"]').count() == 1
    finally:
        page.close()
