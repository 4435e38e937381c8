"""Every page carries a content-security policy that allows only this site's scripts and styles."""

import re

from django.urls import reverse


def test_pages_carry_a_strict_content_security_policy(client):
    policy = client.get(reverse("accounts:login"))["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


def test_pages_and_api_docs_use_no_inline_script(cast, login):
    client = login(cast.dispatcher_gc)
    for url in (
        reverse("home"),
        reverse("enterprises:list"),
        reverse("enterprises:detail", args=[cast.ent_a.pk]),
        "/api/v1/docs/",
    ):
        html = client.get(url).content.decode()
        inline = [tag for tag in re.findall(r"<script[^>]*>", html) if "src=" not in tag]
        assert inline == [], url
