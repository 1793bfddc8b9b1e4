"""Every agent page has the search box in its header: a GET form with a label, no inline
script (the "/" shortcut comes from a static file), the query kept in it on the results."""

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("page", ["home", "notifications:inbox", "password_change"])
def test_the_header_has_the_search_box(client, agent, page):
    client.force_login(agent)
    body = client.get(reverse(page)).content.decode()
    header = body.split("<header", 1)[1].split("</header>", 1)[0]
    assert f'action="{reverse("case-search")}"' in header
    assert 'method="get"' in header
    assert 'role="search"' in header
    assert '<label for="cx-search-q"' in header
    assert 'id="cx-search-q"' in header
    assert 'name="q"' in header
    assert '<script src="/static/cxdesk/search.js" defer></script>' in header


def test_signed_out_pages_have_no_search_box(client):
    body = client.get(reverse("login")).content.decode()
    assert "cx-search-q" not in body


def test_the_results_page_keeps_the_query_in_the_box(client, agent):
    client.force_login(agent)
    body = client.get(reverse("case-search"), {"q": 'refund "late"'}).content.decode()
    assert 'value="refund &quot;late&quot;"' in body


def test_the_shortcut_script_is_a_static_file_that_focuses_the_box():
    script = Path(settings.BASE_DIR, "static", "cxdesk", "search.js").read_text()
    assert 'getElementById("cx-search-q")' in script
    assert 'event.key === "/"' in script
