"""Notifications reach their recipient only, in the app and by e-mail after the change commits."""

from django.core import mail
from django.urls import reverse

from sibao.core.models import Notification
from sibao.core.notifications import notify


def test_notify_creates_one_per_active_recipient_and_mails_on_commit(cast, django_capture_on_commit_callbacks):
    cast.liaison_a.email = "a@example.com"
    cast.liaison_a.save()
    cast.liaison_b.is_active = False
    cast.liaison_b.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            recipients=[cast.liaison_a, cast.liaison_a, cast.liaison_b], subject="审核结果", body="已通过", link="/x/"
        )
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["liaison_a"]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["a@example.com"]


def test_a_user_sees_and_reads_only_their_own(cast, login):
    mine = notify(recipients=[cast.liaison_a], subject="给甲")[0]
    theirs = notify(recipients=[cast.liaison_b], subject="给乙")[0]
    client = login(cast.liaison_a)
    page = client.get(reverse("notifications:list"))
    assert "给甲" in page.content.decode() and "给乙" not in page.content.decode()
    client.post(reverse("notifications:read"), {"id": theirs.pk})
    client.post(reverse("notifications:read"), {"id": mine.pk})
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert theirs.read_at is None and mine.read_at is not None


def test_read_redirect_stays_on_this_site(cast, login):
    note = notify(recipients=[cast.liaison_a], subject="x", link="/enterprises/")[0]
    response = login(cast.liaison_a).post(
        reverse("notifications:read"), {"id": note.pk, "next": "https://evil.example/"}
    )
    assert response.url == reverse("notifications:list")
