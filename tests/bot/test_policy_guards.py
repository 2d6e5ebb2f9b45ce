"""The policy read back to its author: every sentence `motive-bot policy check` prints, and every
error a broken file gets (with the line to fix). A wrong word here misleads whoever decides who
may see in-cab video."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.policy import OPEN, PolicyError, describe, load_policy, parse_policy

ROOT = Path(__file__).resolve().parents[2]


def test_the_example_policy_in_words() -> None:
    example = ROOT / "policy.example.toml"
    assert describe(parse_policy(example.read_text(), example)) == [
        "Road-facing and exterior video may be requested by group S0DISPATCH, group S0SAFETY.",
        "In-cab (driver-facing) video and images may be requested by group S0SAFETY.",
        "Camera snapshots may be requested by group S0DISPATCH, group S0SAFETY.",
        "Requests may be made only in channels C0DISPATCH, C0SAFETY.",
        "Direct messages with the bot may be used.",
        "In-cab results go only to the requester, by DM; the thread says they were sent.",
        "Each person may recall at most 30 minutes of video a day.",
        "Clips from front_facing are uploaded into Slack (up to 500 MB; larger ones as links).",
        "Refusals tell people to ask the safety team in #fleet-safety.",
    ]


def test_no_policy_in_words() -> None:
    assert describe(OPEN) == [
        "Road-facing and exterior video may be requested by anyone.",
        "In-cab (driver-facing) video and images may be requested by anyone.",
        "Camera snapshots may be requested by anyone.",
        "Requests may be made in any channel the bot is in.",
        "Direct messages with the bot may be used.",
        "In-cab results are posted in the thread.",
        "There is no daily limit per person.",
        "Video is posted as links.",
        "Refusals tell people to ask your Slack admin.",
    ]


def test_users_nobody_and_no_direct_messages_in_words() -> None:
    text = (
        'contact = "x"\n[requesters]\nin_cab = []\nroad_video = ["U0A", "W0B"]\n'
        "[channels]\ndirect_messages = false\n"
        '[video_upload]\ncameras = ["front_facing", "rear"]\nmax_megabytes = 20\n'
    )
    assert describe(parse_policy(text)) == [
        "Road-facing and exterior video may be requested by user U0A, user W0B.",
        "In-cab (driver-facing) video and images may be requested by nobody.",
        "Camera snapshots may be requested by anyone.",
        "Requests may be made in any channel the bot is in.",
        "Direct messages with the bot may not be used.",
        "In-cab results are posted in the thread.",
        "There is no daily limit per person.",
        "Clips from front_facing, rear are uploaded into Slack (up to 20 MB; larger ones as links).",
        "Refusals tell people to ask x.",
    ]


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("a = 1\nb = \n", "p.toml, line 2: Invalid value (at line 2, column 5)", 2),
        ("a = [", "p.toml: Invalid value (at end of document)", None),
        (
            '\n[requesters]\nin_cab = ["x"]\n',
            "p.toml, line 3: requesters.in_cab: Value error, 'x' is not a Slack user or user "
            "group ID",
            3,
        ),
        ("nope = 1\n", "p.toml, line 1: nope: Extra inputs are not permitted", 1),
        ("nope=1\n", "p.toml, line 1: nope: Extra inputs are not permitted", 1),
        (
            "[limits]\ndaily_recall_minutes_per_user = 0\n",
            "p.toml, line 2: limits.daily_recall_minutes_per_user: Input should be greater than "
            "or equal to 1",
            2,
        ),
        (
            '\n\n[channels]\ndirect_messages = "yes"\n',
            "p.toml, line 4: channels.direct_messages: Input should be a valid boolean",
            4,
        ),
        (
            '[channels]\nallowed = ["#dispatch"]\n',
            "p.toml, line 2: channels.allowed: Value error, '#dispatch' is not a Slack channel ID",
            2,
        ),
        # The section stands on a line of its own when the key does not.
        (
            '[in_cab]\n  deliver_to="everyone"\n',
            "p.toml, line 2: in_cab.deliver_to: Input should be 'thread' or 'requester'",
            2,
        ),
        (
            "[video_upload]\n",
            None,
            None,
        ),
    ],
)
def test_a_broken_policy_says_where_and_what(
    text: str, message: str | None, line: int | None
) -> None:
    if message is None:
        assert parse_policy(text, "p.toml").video_upload.cameras == []
        return
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "p.toml")
    assert (str(caught.value), caught.value.line) == (message, line)


def test_a_policy_error_without_a_path_names_the_policy() -> None:
    with pytest.raises(PolicyError, match=r"^policy, line 1: nope: "):
        parse_policy("nope = 1\n")
    with pytest.raises(PolicyError) as caught:
        parse_policy("[limits]\ndaily_recall_minutes_per_user = 0\n")
    assert str(caught.value).startswith("policy, line 2: limits.daily_recall_minutes_per_user: ")


def test_a_policy_file_is_read_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_bytes('contact = "Zoë in #sécurité"\n'.encode())
    assert load_policy(path).contact == "Zoë in #sécurité"
    with pytest.raises(PolicyError) as caught:
        load_policy(tmp_path / "missing.toml")
    assert (
        str(caught.value)
        == f"{tmp_path / 'missing.toml'}: cannot read it (No such file or directory)"
    )
    assert caught.value.line is None
