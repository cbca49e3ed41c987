"""The API documentation page loads nothing from outside and runs no inline script (issue #14,
item 9: it used to log CSP errors for Google Fonts and a logo from a CDN)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from core.models import User

pytestmark = pytest.mark.django_db

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I)


def test_the_docs_page_is_served_from_the_project(bureau_user: User) -> None:
    client = Client()
    client.force_login(bureau_user)
    page = client.get(reverse("api:docs"))
    assert page.status_code == 200
    html = page.content.decode()
    assert not EXTERNAL.search(html), EXTERNAL.findall(html)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)  # no inline script
    for attrs, _body in scripts:
        src = re.search(r'src="([^"]+)"', attrs)
        assert src is not None
        url = src.group(1).replace("&amp;", "&")
        if url.startswith(settings.STATIC_URL):  # the sidecar's files, shipped with the project
            assert finders.find(url.removeprefix(settings.STATIC_URL)), url
            continue
        script = client.get(url)  # the page's own start-up script
        assert script.status_code == 200, url
        text = script.content.decode()
        assert "validatorUrl" in text and "https://" not in text
