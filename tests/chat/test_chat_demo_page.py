"""The demo page shows a widget with its one-line snippet; the widget's files are served."""

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from tests.chat.factories import ChatWidgetFactory

pytestmark = pytest.mark.django_db


def test_the_demo_page_embeds_the_widget(client, widget):
    response = client.get(f"/channels/chat/demo/{widget.public_key}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-widget-key="{widget.public_key}"' in html
    assert 'src="/static/chat/widget.js"' in html
    assert "http://testserver/static/chat/widget.js" in html  # the snippet to copy
    assert "Acme shop" in html


@pytest.mark.parametrize("key", ["cw_unknown", None])
def test_no_demo_page_for_an_unknown_or_inactive_widget(client, team, key):
    key = key or ChatWidgetFactory(team=team, is_active=False).public_key
    assert client.get(f"/channels/chat/demo/{key}/").status_code == 404


def test_the_widget_loads_nothing_from_other_sites():
    script = Path(finders.find("chat/widget.js")).read_text(encoding="utf-8")
    css = Path(finders.find("chat/widget.css")).read_text(encoding="utf-8")
    assert "innerHTML" not in script  # texts from the network are inserted as text
    assert "sessionStorage" in script
    for source in (script, css):
        assert "@import" not in source
        assert "//cdn" not in source
    # Every URL it calls is built from the origin of its own <script src>.
    assert "http://" not in script.replace("https://<cxdesk>", "")
    assert "https://" not in script.replace("https://<cxdesk>", "")


def test_the_widget_files_are_served(client):
    for path in ("/static/chat/widget.js", "/static/chat/widget.css"):
        response = client.get(path)
        assert response.status_code == 200
