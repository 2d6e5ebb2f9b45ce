"""The policy: its decisions as a table, the file (errors with their line, reloads, the last good
policy kept), its meaning in words, and user groups read from the fake Slack."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from bot.access.policy import (
    OPEN,
    SETTLE_SECONDS,
    Asker,
    Policy,
    PolicyError,
    PolicyFile,
    Route,
    Wanted,
    check_recall,
    check_snapshot,
    decide,
    describe,
    may_see,
    parse_policy,
    private_delivery,
    route,
    uploads_video,
)
from bot.offline.fakeslack import FakeSlack
from bot.offline.loopback import serve_on_loopback
from bot.offline.retries import quick_slack_retries
from bot.slack_api.usergroups import UserGroups
from bot.slack_api.web import web_client
from motive.clock import ManualClock
from motive.rules import CameraPosition as P

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "policy.example.toml"
ALL = (P.FRONT_FACING, P.DRIVER_FACING, P.SIDE_LEFT, P.SIDE_RIGHT, P.REAR)

SAFETY = Asker("U0SAFE", frozenset({"S0SAFETY"}), "C0DISPATCH")
DISPATCHER = Asker("U0DISP", frozenset({"S0DISPATCH"}), "C0DISPATCH")
OUTSIDER = Asker("U0OTHER", frozenset(), "C0DISPATCH")


def policy() -> Policy:
    return parse_policy(EXAMPLE.read_text(), EXAMPLE)


def recall(
    who: Asker, cameras: tuple[P, ...] | None, *, minutes: int = 0, duration: int = 2
) -> tuple[bool, str | None, tuple[P, ...] | None]:
    d = check_recall(policy(), who, cameras, ALL, duration=duration, minutes_today=minutes)
    return d.allowed, d.rule, d.cameras


@pytest.mark.parametrize(
    ("who", "cameras", "expected"),
    [
        (SAFETY, None, (True, None, None)),
        (SAFETY, (P.DRIVER_FACING,), (True, None, (P.DRIVER_FACING,))),
        (DISPATCHER, (P.FRONT_FACING, P.REAR), (True, None, (P.FRONT_FACING, P.REAR))),
        # "all cameras" narrowed to what a dispatcher may see
        (
            DISPATCHER,
            None,
            (True, "requesters.in_cab", (P.FRONT_FACING, P.SIDE_LEFT, P.SIDE_RIGHT, P.REAR)),
        ),
        (DISPATCHER, (P.DRIVER_FACING,), (False, "requesters.in_cab", None)),
        (DISPATCHER, (P.FRONT_FACING, P.DRIVER_FACING), (False, "requesters.in_cab", None)),
        (OUTSIDER, (P.FRONT_FACING,), (False, "requesters.road_video", None)),
        (OUTSIDER, None, (False, "requesters.road_video", None)),
        # a user named directly, not through a group
        (Asker("U0SAFE", frozenset(), "C0SAFETY"), None, (False, "requesters.road_video", None)),
    ],
)
def test_recall_decisions(
    who: Asker, cameras: tuple[P, ...] | None, expected: tuple[bool, str | None, object]
) -> None:
    assert recall(who, cameras) == expected


def test_refusals_name_the_rule_and_the_contact() -> None:
    d = check_recall(policy(), DISPATCHER, (P.DRIVER_FACING,), ALL, duration=1, minutes_today=0)
    assert d.message is not None and "in-cab" in d.message
    assert "the safety team in #fleet-safety" in d.message
    narrowed = check_recall(policy(), DISPATCHER, None, ALL, duration=1, minutes_today=0)
    assert narrowed.narrowed and "other cameras" in (narrowed.message or "")


def test_channels_and_direct_messages() -> None:
    elsewhere = Asker("U0SAFE", frozenset({"S0SAFETY"}), "C0RANDOM")
    assert recall(elsewhere, None)[:2] == (False, "channels.allowed")
    dm = Asker("U0SAFE", frozenset({"S0SAFETY"}), "D0DM")
    assert recall(dm, None)[0] is True
    no_dms = policy().model_copy(
        update={"channels": policy().channels.model_copy(update={"direct_messages": False})}
    )
    d = check_recall(no_dms, dm, None, ALL, duration=1, minutes_today=0)
    assert (d.allowed, d.rule) == (False, "channels.direct_messages")


def test_daily_limit_counts_what_was_already_asked_for() -> None:
    assert recall(SAFETY, None, minutes=28, duration=2)[0] is True
    allowed, rule, _ = recall(SAFETY, None, minutes=29, duration=2)
    assert (allowed, rule) == (False, "limits.daily_recall_minutes_per_user")
    d = check_recall(policy(), SAFETY, None, ALL, duration=3, minutes_today=29)
    assert d.message is not None and "1 of your 30" in d.message


def test_snapshots() -> None:
    p = policy()
    assert check_snapshot(p, DISPATCHER, P.FRONT_FACING).allowed
    assert check_snapshot(p, DISPATCHER, P.DRIVER_FACING).rule == "requesters.in_cab"
    assert check_snapshot(p, SAFETY, P.DRIVER_FACING).allowed
    assert check_snapshot(p, OUTSIDER, P.REAR).rule == "requesters.snapshots"


def test_seeing_refreshing_delivering_uploading() -> None:
    p = policy()
    assert may_see(p, SAFETY, ALL) and not may_see(p, DISPATCHER, ALL)
    assert may_see(p, DISPATCHER, (P.FRONT_FACING, P.REAR))
    assert private_delivery(p, (P.DRIVER_FACING,)) and not private_delivery(p, (P.REAR,))
    assert not private_delivery(OPEN, (P.DRIVER_FACING,))
    assert uploads_video(p, P.FRONT_FACING) and not uploads_video(p, P.REAR)


def test_without_a_policy_everything_is_allowed_as_before() -> None:
    for who in (SAFETY, DISPATCHER, OUTSIDER, Asker("U1", frozenset(), "D1")):
        d = check_recall(OPEN, who, None, ALL, duration=60, minutes_today=10_000)
        assert (d.allowed, d.message, d.cameras) == (True, None, None)
        assert check_snapshot(OPEN, who, P.DRIVER_FACING).allowed


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('contact = "x"\n[requesters]\nin_cab = ["nobody"]\n', 3, "not a Slack user"),
        ('[channels]\nallowed = ["C0OK"]\ndirect_messages = "yes"\n', 3, "direct_messages"),
        ('[in_cab]\n\ndeliver_to = "everyone"\n', 3, "deliver_to"),
        ("[limits]\ndaily_recall_minutes_per_user = 0\n", 2, "greater than or equal to 1"),
        ('[video_upload]\ncameras = ["roof"]\n', 2, "cameras"),
        ("[requesters\nroad_video = []\n", 1, "line 1"),
        ("[surprise]\nkey = 1\n", 1, "surprise"),
    ],
)
def test_broken_files_name_their_line(text: str, line: int, words: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "policy.toml")
    assert caught.value.line == line and words in str(caught.value)
    assert f"policy.toml, line {line}" in str(caught.value)


def test_the_file_is_reread_when_it_changes_and_a_broken_one_keeps_the_last_good(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "policy.toml"
    path.write_text('[requesters]\nin_cab = ["S0SAFETY"]\n')
    clock = ManualClock()
    watched = PolicyFile(path, clock=clock)
    assert watched.policy.requesters.in_cab == ["S0SAFETY"]

    def rewrite(text: str, stamp: int) -> Policy:
        """Write, and look twice, the second time once the file has settled."""
        path.write_text(text)
        os.utime(path, (stamp, stamp))  # a new mtime even within the same clock tick
        first = watched.policy
        clock.advance(SETTLE_SECONDS)
        assert first is not None
        return watched.policy

    assert rewrite('[requesters]\nin_cab = ["S0SAFETY", "U0NEW"]\n', 1_000).requesters.in_cab == [
        "S0SAFETY",
        "U0NEW",
    ]
    with caplog.at_level(logging.ERROR, logger="bot.access.policy"):
        broken = rewrite('[requesters]\nin_cab = "everyone"\n', 2_000)
        assert broken.requesters.in_cab == ["S0SAFETY", "U0NEW"]
    assert watched.last_error is not None and "line 2" in watched.last_error
    assert watched.last_error.startswith(str(path))  # which file, as the start's errors say
    assert any("keeping the last good policy" in r.getMessage() for r in caplog.records)
    assert rewrite("[requesters]\nin_cab = []\n", 3_000).requesters.in_cab == []
    assert watched.last_error is None


def test_a_file_still_being_written_is_not_read(tmp_path: Path) -> None:
    """A change is read only once the file has stayed the same for SETTLE_SECONDS."""
    path = tmp_path / "policy.toml"
    path.write_text('[requesters]\nin_cab = ["S0SAFETY"]\n')
    clock = ManualClock()
    watched = PolicyFile(path, clock=clock)
    for n, text in enumerate(
        ('[requesters]\nin_cab = ["U0A"]\n', '[requesters]\nin_cab = ["U0B"]\n')
    ):
        path.write_text(text)
        os.utime(path, (1_000 + n, 1_000 + n))
        assert watched.policy.requesters.in_cab == ["S0SAFETY"]
        clock.advance(SETTLE_SECONDS / 2)  # it changes again before it has settled
        assert watched.policy.requesters.in_cab == ["S0SAFETY"]
    clock.advance(SETTLE_SECONDS / 2)
    assert watched.policy.requesters.in_cab == ["U0B"]


def test_no_prefix_of_a_policy_file_is_ever_applied(tmp_path: Path) -> None:
    """The example policy in force; the file rewritten in place and caught part-way, at every
    length it can have: none of those prefixes is applied (most of them parse), so in-cab
    footage never opens to everyone because a write was read half done."""
    whole = EXAMPLE.read_text()
    path = tmp_path / "policy.toml"
    path.write_text(whole)
    clock = ManualClock()
    watched = PolicyFile(path, clock=clock)
    in_force = watched.policy
    parsed = 0
    for n in range(len(whole)):
        path.write_text(whole[:n])
        os.utime(path, (1_000 + n, 1_000 + n))
        watched.policy  # noqa: B018 - the first look after the change
        clock.advance(SETTLE_SECONDS)
        assert watched.policy == in_force, f"the first {n} characters were applied"
        try:
            parse_policy(whole[:n])
            parsed += 1
        except PolicyError:
            pass
    assert parsed > 100  # what made this dangerous: most prefixes are valid TOML policies
    path.write_text(whole)
    os.utime(path, (5_000, 5_000))
    watched.policy  # noqa: B018
    clock.advance(SETTLE_SECONDS)
    assert watched.policy == in_force and watched.last_error is None


def test_a_reread_says_in_words_what_access_changed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "policy.toml"
    path.write_text('[requesters]\nin_cab = ["S0SAFETY"]\n')
    clock = ManualClock()
    watched = PolicyFile(path, clock=clock)
    path.write_text('[requesters]\nin_cab = ["S0SAFETY", "U0NEW"]\n')
    os.utime(path, (1_000, 1_000))
    with caplog.at_level(logging.INFO, logger="bot.access.policy"):
        watched.policy  # noqa: B018
        clock.advance(SETTLE_SECONDS)
        assert watched.policy.requesters.in_cab == ["S0SAFETY", "U0NEW"]
    assert (
        "now: In-cab (driver-facing) video and images may be requested by group S0SAFETY, "
        "user U0NEW." in caplog.text
    )


def test_a_file_that_was_never_good_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        PolicyFile(tmp_path / "missing.toml")


def test_the_example_in_words() -> None:
    words = "\n".join(describe(policy()))
    assert "In-cab (driver-facing) video and images may be requested by group S0SAFETY." in words
    assert "only in channels C0DISPATCH, C0SAFETY" in words
    assert "at most 30 minutes of video a day" in words
    assert "go only to the requester" in words and "front_facing are uploaded" in words
    assert "Road-facing and exterior video may be requested by anyone." in "\n".join(describe(OPEN))


async def test_user_groups_are_cached_refreshed_and_never_guessed() -> None:
    slack = FakeSlack()
    slack.usergroups = {"S0SAFETY": ["U0SAFE"], "S0DISPATCH": ["U0DISP"]}
    clock = ManualClock()
    async with serve_on_loopback(slack.app()) as url:
        client = web_client("xoxb-test", f"{url}/api/")
        quick_slack_retries(client, 0.01)  # the SDK's retries of the 500s below, without backoff
        groups = UserGroups(client, clock, ttl_seconds=300)
        named = ["S0SAFETY", "S0DISPATCH", "U0SOMEONE"]
        assert await groups.groups_of("U0SAFE", named) == {"S0SAFETY"}
        slack.usergroups["S0SAFETY"].append("U0NEW")
        assert await groups.groups_of("U0NEW", named) == frozenset()  # cached
        clock.advance(301)
        assert await groups.groups_of("U0NEW", named) == {"S0SAFETY"}  # refreshed
        # Slack failing once the 5 minutes are over (rate limited, then down): the group counts
        # as empty, so someone removed from it meanwhile keeps nothing. A failure only refuses.
        clock.advance(301)
        slack.fail_next("usergroups.users.list", 429, count=100, retry_after=0)
        assert await groups.groups_of("U0NEW", named) == frozenset()
        assert await groups.groups_of("U0SAFE", ["S0SAFETY"]) == frozenset()
        slack.failures.clear()
        slack.fail_next("usergroups.users.list", 500, count=100)
        assert await groups.groups_of("U0SAFE", ["S0SAFETY"]) == frozenset()
        assert await groups.groups_of("U0X", ["S0UNKNOWN"]) == frozenset()
        # Slack answering again: the members are read afresh.
        slack.failures.clear()
        assert await groups.groups_of("U0SAFE", named) == {"S0SAFETY"}
    assert len(slack.called("usergroups.users.list")) >= 6


def test_policy_check_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    assert main(["policy", "check", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "is valid" in out and "at most 30 minutes" in out
    bad = tmp_path / "bad.toml"
    bad.write_text("[limits]\ndaily_recall_minutes_per_user = -5\n")
    assert main(["policy", "check", str(bad)]) == 1
    assert f"not valid: {bad}, line 2" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("word", "in_cab"),
    [
        ("driver_facing", True),
        ("DRIVER_FACING", True),
        (" Driver-Facing ", True),
        ("driver facing", True),
        ("cabin", True),  # a position the bot does not know: in-cab
        ("", True),
        (None, True),
        ("front_facing", False),
        ("FRONT_FACING", False),
        ("Front-Narrow-Facing", False),
        ("side_left", False),
        ("REAR", False),
    ],
)
def test_only_a_known_road_or_exterior_camera_is_not_in_cab(word: str | None, in_cab: bool) -> None:
    from bot.access.policy import Media, is_in_cab, media_of

    assert is_in_cab(word) is in_cab
    assert media_of(word) is (Media.IN_CAB if in_cab else Media.ROAD_VIDEO)


def test_where_each_cameras_media_goes_at_delivery() -> None:
    from bot.access.policy import Route, route

    p = policy()  # in-cab to the requester; channels C0DISPATCH (and the example's others)
    assert route(p, SAFETY, "front_facing") is Route.THREAD
    assert route(p, SAFETY, "DRIVER_FACING") is Route.REQUESTER
    assert route(p, SAFETY, "cabin") is Route.REQUESTER
    # Someone who may not see in-cab media (now): withheld, whatever the spelling.
    assert route(p, DISPATCHER, "driver_facing") is Route.WITHHELD
    assert route(p, DISPATCHER, "cabin") is Route.WITHHELD
    assert route(p, DISPATCHER, "rear") is Route.THREAD
    assert route(p, OUTSIDER, "rear") is Route.WITHHELD
    assert route(p, OUTSIDER, "rear", snapshot=True) is Route.WITHHELD
    # A channel the policy no longer allows: to the requester, never into that channel.
    moved = Asker("U0DISP", frozenset({"S0DISPATCH"}), "C0ELSEWHERE")
    assert route(p, moved, "front_facing") is Route.REQUESTER
    # Media nobody asked for (a Motive event): only what the policy opens to everyone.
    assert route(p, None, "front_facing") is Route.WITHHELD
    assert route(OPEN, None, "front_facing") is Route.THREAD
    assert route(OPEN, None, "driver_facing") is Route.THREAD
    to_requester = parse_policy('[in_cab]\ndeliver_to = "requester"\n')
    assert route(to_requester, None, "driver_facing") is Route.WITHHELD
    assert route(to_requester, None, "rear") is Route.THREAD


def test_a_rule_left_out_of_a_reread_file_is_not_applied_until_a_restart(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "policy.toml"
    path.write_text('[requesters]\nin_cab = ["S0SAFETY"]\nroad_video = ["S0DISPATCH"]\n')
    clock = ManualClock()
    watched = PolicyFile(path, clock=clock)
    path.write_text('[requesters]\nroad_video = ["S0DISPATCH"]\n')
    os.utime(path, (1_000, 1_000))
    with caplog.at_level(logging.ERROR, logger="bot.access.policy"):
        watched.policy  # noqa: B018
        clock.advance(SETTLE_SECONDS)
        assert watched.policy.requesters.in_cab == ["S0SAFETY"]
    assert watched.last_error is not None
    assert "leaves out requesters.in_cab" in watched.last_error
    assert "restart the bot" in watched.last_error and "restart the bot" in caplog.text
    # A start reads the file as it stands: in-cab is then open, as the file now says.
    assert PolicyFile(path, clock=clock).policy.requesters.in_cab is None


# --- the re-read's words, word for word (the survivors of issue 26's policy run) ------------------


def watched_file(tmp_path: Path, text: str) -> tuple[Path, ManualClock, PolicyFile]:
    path = tmp_path / "policy.toml"
    path.write_text(text)
    clock = ManualClock()
    return path, clock, PolicyFile(path, clock=clock)


def settle_on(path: Path, clock: ManualClock, watched: PolicyFile, text: str, stamp: int) -> None:
    path.write_text(text)
    os.utime(path, (stamp, stamp))
    watched.policy  # noqa: B018 - the first look after the change
    clock.advance(SETTLE_SECONDS)
    watched.policy  # noqa: B018 - settled: read


def test_a_fresh_file_has_no_error_and_is_not_read_again_until_it_changes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _, clock, watched = watched_file(tmp_path, '[requesters]\nin_cab = ["S0SAFETY"]\n')
    assert watched.last_error is None
    with caplog.at_level(logging.INFO, logger="bot.access.policy"):
        for _ in range(3):
            watched.policy  # noqa: B018
            clock.advance(SETTLE_SECONDS)
    assert "re-read" not in caplog.text


def test_a_reread_that_changes_nothing_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = '[requesters]\nin_cab = ["S0SAFETY"]\n'
    path, clock, watched = watched_file(tmp_path, text)
    with caplog.at_level(logging.INFO, logger="bot.access.policy"):
        settle_on(path, clock, watched, "# the same rules\n" + text, 1_000)
        for _ in range(2):  # read once: looked at again, the file has not changed since
            clock.advance(SETTLE_SECONDS)
            watched.policy  # noqa: B018
    assert [r.getMessage() for r in caplog.records] == [
        f"policy re-read from {path}; access is unchanged"
    ]


def test_a_reread_lists_every_change_in_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path, clock, watched = watched_file(tmp_path, '[requesters]\nin_cab = ["S0SAFETY"]\n')
    with caplog.at_level(logging.INFO, logger="bot.access.policy"):
        settle_on(
            path,
            clock,
            watched,
            '[requesters]\nin_cab = ["U0NEW"]\nsnapshots = ["S0DISPATCH"]\n',
            1_000,
        )
    [said] = [r.getMessage() for r in caplog.records]
    assert said.startswith(f"policy re-read from {path}; now: In-cab")
    assert "by user U0NEW. Camera snapshots" in said  # one change, a space, the next


def test_a_file_without_its_last_line_break_is_not_applied_and_says_where(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path, clock, watched = watched_file(tmp_path, '[requesters]\nin_cab = ["S0SAFETY"]\n')
    with caplog.at_level(logging.ERROR, logger="bot.access.policy"):
        settle_on(
            path, clock, watched, '[requesters]\nin_cab = ["S0SAFETY"]\nroad_video = [', 1_000
        )
    assert watched.policy.requesters.in_cab == ["S0SAFETY"]
    expected = str(
        PolicyError(
            path,
            3,
            "the file does not end with a line break, as one cut short while being written "
            "would not; it is not applied",
        )
    )
    assert watched.last_error == expected and str(path) in expected and "line 3" in expected
    assert [r.getMessage() for r in caplog.records] == [
        f"policy file is broken, keeping the last good policy: {expected}"
    ]


def test_a_file_leaving_rules_out_names_them_all_and_how_to_drop_one(tmp_path: Path) -> None:
    path, clock, watched = watched_file(
        tmp_path,
        '[requesters]\nin_cab = ["S0SAFETY"]\nsnapshots = ["S0SAFETY"]\nroad_video = ["S0A"]\n',
    )
    settle_on(path, clock, watched, '[requesters]\nroad_video = ["S0A"]\n', 1_000)
    assert watched.last_error == str(
        PolicyError(
            path,
            None,
            "it leaves out requesters.in_cab, requesters.snapshots, which the policy in force "
            "sets. A file cut short would open those rules to everyone, so it is not applied; "
            "to drop a rule, restart the bot with the new file",
        )
    )
    assert str(path) in watched.last_error


def test_a_file_that_cannot_be_read_keeps_the_last_good_and_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path, clock, watched = watched_file(tmp_path, '[requesters]\nin_cab = ["S0SAFETY"]\n')
    path.unlink()
    path.mkdir()  # still there, changed, and not a file
    watched.policy  # noqa: B018
    clock.advance(SETTLE_SECONDS)
    with caplog.at_level(logging.ERROR, logger="bot.access.policy"):
        assert watched.policy.requesters.in_cab == ["S0SAFETY"]
    [said] = [r.getMessage() for r in caplog.records]
    assert said.startswith("policy file cannot be read, keeping the last good policy: [Errno")
    assert str(path) in said


def test_narrowed_all_cameras_name_what_was_left_out() -> None:
    road_only = Asker("U0ROAD", frozenset(), "C0DISPATCH")
    strict = parse_policy('[requesters]\nin_cab = ["S0SAFETY"]\n')
    video = decide(strict, road_only, Wanted(None, ALL))
    images = decide(strict, road_only, Wanted(None, ALL, snapshot=True))
    assert video.message == "You may not see in-cab video, so I asked for the other cameras only."
    assert images.message == "You may not see in-cab images, so I asked for the other cameras only."
    assert video.cameras == images.cameras == (P.FRONT_FACING, P.SIDE_LEFT, P.SIDE_RIGHT, P.REAR)


def test_media_nobody_asked_for_goes_to_the_thread_only_if_anyone_may_see_it() -> None:
    # A safety event's clip or image: no requester. Road video is open to all here, still
    # images are not.
    strict = parse_policy('[requesters]\nsnapshots = ["S0SAFETY"]\n')
    assert route(strict, None, P.FRONT_FACING) is Route.THREAD
    assert route(strict, None, P.FRONT_FACING, snapshot=True) is Route.WITHHELD
    assert route(OPEN, None, P.FRONT_FACING, snapshot=True) is Route.THREAD


def test_media_for_a_channel_no_longer_allowed_goes_to_the_dm_unless_it_was_asked_in_one() -> None:
    only_dispatch = parse_policy('[channels]\nallowed = ["C0DISPATCH"]\ndirect_messages = false\n')
    in_other = Asker("U0DISP", frozenset(), "C0ELSEWHERE")
    in_dm = Asker("U0DISP", frozenset(), "DU0DISP")
    assert route(only_dispatch, in_other, P.FRONT_FACING) is Route.REQUESTER
    assert route(only_dispatch, in_dm, P.FRONT_FACING) is Route.WITHHELD
