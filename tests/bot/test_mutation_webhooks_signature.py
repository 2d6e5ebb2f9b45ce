"""Tests written against the survivors of a mutation run (TESTING.md, "Mutation testing") over the
webhook receiver, the Slack signature set-up and replay guard, and the store's claims. Each says
what it pins; all go through real parts (the running bot over HTTP, real SQLite)."""

from __future__ import annotations

from motive.webhooks import SIGNATURE_HEADER, sign
from tests.bot.conftest import WEBHOOK_SECRET, Stack
from tests.bot.test_guards import ask, completed, post_webhook, replies
from tests.bot.test_webhook_trust import healthz

# --- the webhook receiver: what each answer says ----------------------------------------------


async def test_each_webhook_answer_has_its_documented_body(stack: Stack) -> None:
    """Motive reads only the status, but an operator testing the route with curl reads the body:
    each outcome says which it was, and only an accepted webhook says ok."""
    row = await ask(stack, "/recall", "TRK-101 40m ago 1m")
    accepted = await post_webhook(stack, completed(row))
    assert (accepted.status_code, accepted.json()) == (200, {"ok": True})
    test = await post_webhook(stack, {"action": "test"})
    assert (test.status_code, test.json()) == (200, {"ok": True})
    forged = await post_webhook(stack, completed(row), secret="another-secret-000000")
    assert (forged.status_code, forged.json()) == (403, {"error": "bad signature"})
    body = b"not json"
    r = await stack.http.post(
        f"{stack.url}/motive/webhooks",
        content=body,
        headers={SIGNATURE_HEADER: sign(body, WEBHOOK_SECRET)},
    )
    assert (r.status_code, r.json()) == (400, {"error": "body is not JSON"})
    await stack.settle()


async def test_only_a_signed_webhook_naming_a_recall_makes_the_webhook_trusted(
    stack: Stack,
) -> None:
    """Recalls rely on the webhook (polled only as a safety net) once a verified one named a
    recall; a test ping, a capture, a forged or unreadable webhook prove nothing."""
    snap = await ask(stack, "/snapshot", "TRK-101 front")
    stack.clock.advance(90)  # the capture is done at Motive: its webhook's fetch delivers it
    for payload, secret in (
        ({"action": "test"}, WEBHOOK_SECRET),
        ({"action": "image_capture_completed", "request_id": snap.motive_id}, WEBHOOK_SECRET),
        ({"action": "video_recall_request_completed", "id": "1"}, "another-secret-000000"),
    ):
        await post_webhook(stack, payload, secret=secret)
        await stack.settle()
        assert (await healthz(stack))["webhooks"]["mode"] == "unknown", payload
    named = {"action": "video_recall_request_completed", "id": "1"}
    assert (await post_webhook(stack, named)).status_code == 200
    await stack.settle()
    hooks = (await healthz(stack))["webhooks"]
    assert hooks["mode"] == "trusted"
    assert hooks["last_verified_at"] == stack.clock.now().isoformat()
    assert replies(stack, snap)  # the capture's own webhook fetched and delivered it
