from __future__ import annotations

from tests.bot.conftest import Stack


async def test_recall_inline_to_links(stack: Stack) -> None:
    r = await stack.command("/recall", "TRK-101 30m ago 2m front")
    assert r.status_code == 200
    await stack.settle()
    print(stack.responses())
    anchors = stack.anchors()
    assert len(anchors) == 1, stack.slack.calls
    stack.clock.advance(20 * 60)
    await stack.poll_all()
    thread = stack.slack.thread(anchors[0].channel, anchors[0].ts)
    assert thread and "Footage is ready" in thread[0].text
