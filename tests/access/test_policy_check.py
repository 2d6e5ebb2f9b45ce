"""The policy read back to its author: every sentence `motive-bot policy check` prints, and every
error a broken file gets (with the line to fix). A wrong word here misleads whoever decides who
may see in-cab video."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.access.policy import (
    OPEN,
    Asker,
    Decision,
    PolicyError,
    check_recall,
    check_refresh,
    check_snapshot,
    describe,
    load_policy,
    parse_policy,
)
from motive.rules import CameraPosition as P

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


# --- what a refusal says, for each rule ----------------------------------------------------------

STRICT = parse_policy(
    'contact = "the safety team"\n'
    '[requesters]\nroad_video = ["S0DISPATCH"]\nin_cab = ["U0SAFE"]\nsnapshots = ["S0DISPATCH"]\n'
    '[channels]\nallowed = ["C0DISPATCH", "C0YARD"]\ndirect_messages = false\n'
    "[limits]\ndaily_recall_minutes_per_user = 10\n"
)
DISPATCHER = Asker("U0DISP", frozenset({"S0DISPATCH"}), "C0DISPATCH")
ASK = "Ask the safety team if you need this."


def _said(d: Decision) -> tuple[bool, str | None, str | None, tuple[P, ...] | None]:
    return d.allowed, d.rule, d.message, d.cameras


@pytest.mark.parametrize(
    ("asker", "expected"),
    [
        (
            Asker("U0DISP", frozenset({"S0DISPATCH"}), "D0DM"),
            (
                False,
                "channels.direct_messages",
                "Requests can't be made in a direct message with me; ask from a team channel. "
                + ASK,
            ),
        ),
        (
            Asker("U0DISP", frozenset({"S0DISPATCH"}), "C0OTHER"),
            (
                False,
                "channels.allowed",
                f"Footage can't be requested in this channel; use <#C0DISPATCH>, <#C0YARD>. {ASK}",
            ),
        ),
    ],
    ids=["direct_message", "other_channel"],
)
def test_a_place_refusal_is_the_same_for_recalls_and_snapshots(
    asker: Asker, expected: tuple[bool, str, str]
) -> None:
    recall = check_recall(
        STRICT, asker, [P.FRONT_FACING], [P.FRONT_FACING], duration=1, minutes_today=0
    )
    assert _said(recall) == (*expected, None)
    assert _said(check_snapshot(STRICT, asker, P.FRONT_FACING)) == (*expected, None)


def test_what_each_recall_refusal_says() -> None:
    unit = [P.FRONT_FACING, P.DRIVER_FACING]
    outsider = Asker("U0OTHER", frozenset(), "C0DISPATCH")
    assert _said(
        check_recall(STRICT, outsider, [P.FRONT_FACING], unit, duration=1, minutes_today=0)
    ) == (
        False,
        "requesters.road_video",
        f"You may not request road-facing and exterior video. {ASK}",
        None,
    )
    assert _said(
        check_recall(STRICT, DISPATCHER, [P.DRIVER_FACING], unit, duration=1, minutes_today=0)
    ) == (
        False,
        "requesters.in_cab",
        f"You may not request in-cab (driver-facing) video and images. {ASK}",
        None,
    )
    assert _said(check_recall(STRICT, DISPATCHER, None, unit, duration=1, minutes_today=0)) == (
        True,
        "requesters.in_cab",
        "You may not see in-cab video, so I asked for the other cameras only.",
        (P.FRONT_FACING,),
    )
    over = check_recall(STRICT, DISPATCHER, [P.FRONT_FACING], unit, duration=3, minutes_today=8)
    assert _said(over) == (
        False,
        "limits.daily_recall_minutes_per_user",
        f"You have 2 of your 10 recall minutes left today; this recall needs 3. {ASK}",
        None,
    )
    spent = check_recall(STRICT, DISPATCHER, [P.FRONT_FACING], unit, duration=1, minutes_today=12)
    assert spent.message is not None and spent.message.startswith("You have 0 of your 10 ")
    exact = check_recall(STRICT, DISPATCHER, [P.FRONT_FACING], unit, duration=2, minutes_today=8)
    assert _said(exact) == (True, None, None, (P.FRONT_FACING,))


def test_what_each_snapshot_refusal_says() -> None:
    outsider = Asker("U0OTHER", frozenset(), "C0DISPATCH")
    assert _said(check_snapshot(STRICT, outsider, P.REAR)) == (
        False,
        "requesters.snapshots",
        f"You may not request camera snapshots. {ASK}",
        None,
    )
    assert _said(check_snapshot(STRICT, DISPATCHER, P.DRIVER_FACING)) == (
        False,
        "requesters.in_cab",
        f"You may not request in-cab (driver-facing) video and images. {ASK}",
        None,
    )
    safe = Asker("U0SAFE", frozenset({"S0DISPATCH"}), "C0YARD")
    assert _said(check_snapshot(STRICT, safe, P.DRIVER_FACING)) == (True, None, None, None)


def test_what_a_refused_refresh_says() -> None:
    """Refreshing links shows the video again: the same rules as asking for it."""
    outsider = Asker("U0OTHER", frozenset(), "C0DISPATCH")
    road = check_refresh(STRICT, outsider, [P.REAR, P.FRONT_FACING])
    assert road is not None
    assert _said(road) == (
        False,
        "requesters.road_video",
        "You may not see road-facing and exterior video, so I can't refresh these links. " + ASK,
        None,
    )
    in_cab = check_refresh(STRICT, DISPATCHER, [P.FRONT_FACING, P.DRIVER_FACING])
    assert in_cab is not None
    assert _said(in_cab) == (
        False,
        "requesters.in_cab",
        "You may not see in-cab (driver-facing) video and images, so I can't refresh these links. "
        + ASK,
        None,
    )
    assert check_refresh(STRICT, DISPATCHER, [P.FRONT_FACING, P.REAR]) is None
    safety = Asker("U0SAFE", frozenset({"S0DISPATCH"}), "C0DISPATCH")
    assert check_refresh(STRICT, safety, [P.DRIVER_FACING, P.REAR]) is None
