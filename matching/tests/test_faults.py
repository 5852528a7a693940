"""Two staff accepting the same proposal at the same instant, through the
admin, on PostgreSQL (row locks): one wins, the other is told why not."""

import threading
import time

import pytest
from django.db import connection
from django.urls import reverse

from accounts.testing import Client
from conftest import make_user
from matching.models import Proposal
from mentorship.models import OutboundEmail, Pairing

pytestmark = pytest.mark.django_db(transaction=True)


def hold_locks_a_moment(execute, sql, params, many, context):
    # The first to lock the proposal keeps it long enough for the other
    # request to arrive and wait on the lock.
    result = execute(sql, params, many, context)
    if sql.startswith('INSERT INTO "mentorship_pairing"'):
        time.sleep(0.3)
    return result


def test_two_staff_accepting_the_same_proposal_at_once(postgresql, proposal, staff):
    colleague = make_user(
        "kim@example.com",
        full_name="Kim Staff",
        country="US",
        is_staff=True,
        is_superuser=True,
    )
    url = reverse("admin:matching_matchrun_act", args=[proposal.run_id])
    clients = []
    for person in (staff, colleague):
        client = Client()
        client.force_login(person)
        clients.append(client)
    barrier = threading.Barrier(2)
    pages = []

    def accept(client):
        try:
            with connection.execute_wrapper(hold_locks_a_moment):
                barrier.wait(timeout=10)
                response = client.post(
                    url, {"action": "accept", "target": proposal.pk}, follow=True
                )
            pages.append((response.status_code, response.content.decode()))
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [status for status, _ in pages] == [200, 200]
    won = [page for _, page in pages if "Both are asked by email to accept" in page]
    lost = [
        page
        for _, page in pages
        if "The proposal for Amara Okafor is already accepted." in page
    ]
    assert (len(won), len(lost)) == (1, 1)
    assert Pairing.objects.count() == 1
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.ACCEPTED
    assert sorted(OutboundEmail.objects.values_list("to", flat=True)) == [
        "mentee@example.com",
        "mentor@example.com",
    ]
