"""Delivery exactly once, written against the mutants that survived
`scripts/mutation 'bot.tracking.delivery*'`: which failed shares may still have landed (and are
looked for before a second try), and what each delivery says and where it goes."""

from __future__ import annotations

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.tracking.delivery import UploadFailed, _maybe_shared, _why


def _slack_refusal(status: int, error: str = "internal_error") -> SlackApiError:
    response = AsyncSlackResponse(
        client=None,  # type: ignore[arg-type]
        http_verb="POST",
        api_url="http://127.0.0.1/api/files.completeUploadExternal",
        req_args={},
        data={"ok": False, "error": error},
        headers={},
        status_code=status,
    )
    return SlackApiError(error, response)


@pytest.mark.parametrize(
    ("error", "maybe"),
    [
        (_slack_refusal(500), True),
        (_slack_refusal(503), True),
        (_slack_refusal(429, "ratelimited"), True),
        (_slack_refusal(200, "invalid_channel"), False),
        (_slack_refusal(400, "invalid_arguments"), False),
        (_slack_refusal(428), False),
        (_slack_refusal(499), False),
        (aiohttp.ClientConnectionError("reset"), True),
        (TimeoutError(), True),
    ],
)
def test_only_a_plain_refusal_means_the_share_did_not_land(
    error: BaseException, maybe: bool
) -> None:
    assert _maybe_shared(error) is maybe


def test_why_a_link_stands_in_names_the_cause() -> None:
    assert _why(UploadFailed("the clip is 80 MB")) == "the clip is 80 MB"
    assert _why(_slack_refusal(200, "file_not_found")) == "file_not_found"
    assert _why(TimeoutError()) == "no answer from Slack (TimeoutError)"
