"""Putting a request's result into its Slack thread, exactly once.

Each delivery (the links, the image, the last word about a failure) is a row reserved in the
store before anything is posted and marked posted after. A delivery found half-done (a crash, or
Slack failing) is looked for in the thread before it is posted again: a posted message by its
first block's id, an upload by the Slack file id the row remembered before the upload was
shared. Nothing of that shows to people. Files go through bot.slack_api.uploads, the one upload
path.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import httpx
from slack_sdk.web.async_client import AsyncWebClient

from bot.access import policy as pol
from bot.access.audit import UNKNOWN_USER, Subject
from bot.render import blocks as bk
from bot.render.timefmt import escape
from bot.slack_api import uploads
from bot.slack_api.web import (
    SLACK_FAILURES,
    Place,
    at_most_once,
    find_marked,
    open_dm,
    post,
    refused_for_good,
    slack_error,
    update,
)
from bot.store.models import Delivery, TrackedRequest
from bot.store.requests import Store
from bot.tracking.decision import Failed, GaveUp
from motive.client import MotiveClient
from motive.clock import Clock
from motive.errors import MotiveError
from motive.models import ImageCapture, Recall, RecallCamera
from motive.rules import CameraPosition, SnapshotRequest

if TYPE_CHECKING:
    from bot.access.privacy import Privacy

log = logging.getLogger(__name__)

THREAD_PAGES = 50  # pages of 200 replies read, at most, looking for a half-done delivery
LINKED = "linked"  # a clip delivery that ended as a link (the ts column of its row)

# Puts one delivery in Slack (given its row and its marker): the ts of what it posted.
Send = Callable[[Delivery, str], Awaitable[str]]


class Refused(Exception):
    """Slack refused a delivery in a way no retry changes (`code`: its error, or why the bot
    stopped trying): the request ends, and its requester is told."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# What the requester is told about each lasting refusal (others by their code alone).
REFUSAL_WORDS = {
    "channel_not_found": "the channel is gone, or it is private and I am no longer in it",
    "is_archived": "the channel is archived",
    "not_in_channel": "I am not in the channel and could not join it",
}


def anchor_of(
    row: TrackedRequest, status: str, detail: str | None = None, *, motive_word: bool = False
) -> bk.AnchorInfo:
    """The anchor of a stored request: its validated request, and where it stands."""
    return bk.AnchorInfo(
        request=row.request,
        requester=row.requester,
        status=status,
        note=row.note,
        motive_id=row.motive_id,
        detail=detail,
        motive_word=motive_word,
        positions=tuple(row.group_positions or ()),
        asked_at=row.created_at,
        whereabouts=row.whereabouts,
    )


@dataclass(kw_only=True, eq=False)  # eq=False: one deliverer is one deliverer (hashable)
class Deliverer:
    """Puts requests' results into Slack, each delivery exactly once (`deliver_once`)."""

    store: Store
    slack: AsyncWebClient
    motive: MotiveClient
    clock: Clock
    privacy: Privacy | None = None

    @property
    def writes(self) -> AsyncWebClient:
        """The client for posts: the SDK never sends one twice (a 500 may come after Slack
        posted); `deliver_once`'s next try looks in the thread for it first."""
        return at_most_once(self.slack)

    @property
    def policy(self) -> pol.Policy:
        return self.privacy.policy if self.privacy is not None else pol.OPEN

    async def audit_delivery(
        self,
        row: TrackedRequest,
        cameras: Sequence[CameraPosition] | None,
        outcome: str,
        *,
        channel: str | None = None,
        cameras_text: str | None = None,
    ) -> None:
        """One audit row per delivery: what went where (the thread, or a DM: `channel`)."""
        if self.privacy is not None:
            subject = Subject.of(row.request, cameras)
            if cameras_text is not None:
                subject = dataclasses.replace(subject, cameras=cameras_text)
            await self.privacy.audit.record(
                "delivery",
                user=row.requester,
                channel=channel or row.channel,
                subject=subject,
                request_id=row.id,
                motive_id=row.motive_id,
                outcome=outcome,
            )

    async def update_anchor(
        self,
        row: TrackedRequest,
        status: str,
        detail: str | None = None,
        *,
        motive_word: bool = False,
    ) -> None:
        if row.anchor_ts:
            text, blocks = bk.anchor(anchor_of(row, status, detail, motive_word=motive_word))
            await update(self.slack, Place(row.channel, row.anchor_ts), text, blocks)

    async def made_on_anchor(self, row: TrackedRequest, marker: str) -> str | None:
        """The Motive id a stopping process left on the request's anchor (its first block's id,
        `marker` and the id) when its database would not take it; None if there is none."""
        if not row.anchor_ts:
            return None
        try:
            page = await self.slack.conversations_replies(
                channel=row.channel, ts=row.thread or row.anchor_ts, limit=200
            )
        except SLACK_FAILURES as e:
            log.warning("could not read the anchor of request %s: %s", row.id, slack_error(e))
            return None
        for message in page.get("messages") or []:
            if message.get("ts") != row.anchor_ts:
                continue
            for block in message.get("blocks") or []:
                block_id = str(block.get("block_id") or "")
                if block_id.startswith(marker):
                    return block_id.removeprefix(marker) or None
        return None

    # --- the three deliveries -------------------------------------------------------------

    async def routes(
        self, row: TrackedRequest, positions: Sequence[str | None], *, snapshot: bool = False
    ) -> dict[str | None, pol.Route]:
        """Where each camera's media of this request may go, asked of the policy now (who made
        the request, where it lives): `Privacy.route_media`."""
        if self.privacy is not None:
            return await self.privacy.route_media(
                row.requester, row.channel, positions, snapshot=snapshot
            )
        asker = pol.Asker(row.requester, frozenset(), row.channel)
        return {p: pol.route(pol.OPEN, asker, p, snapshot=snapshot) for p in positions}

    async def audit_withheld(
        self, row: TrackedRequest, positions: Sequence[str | None], what: str
    ) -> None:
        labels = ", ".join(bk.camera_label(p) for p in positions)
        await self.audit_delivery(
            row,
            None,
            f"{what} withheld by the policy: {labels}",
            cameras_text=",".join(p or "unknown" for p in positions),
        )

    async def recall_links(self, row: TrackedRequest, recall: Recall) -> bool:
        """The clips the policy uploads, and links for the rest in one thread reply; in-cab ones
        by DM to the requester alone when the policy says so, with a line in the thread saying
        where they went; media the requester may not see (now) is withheld, and the thread says
        so. Each camera's route is the policy's (`routes`). True when all is in Slack."""
        routes = await self.routes(row, [c.position for c in recall.cameras])
        private = [c for c in recall.cameras if routes[c.position] is pol.Route.REQUESTER]
        public = [c for c in recall.cameras if routes[c.position] is pol.Route.THREAD]
        withheld = [c.position for c in recall.cameras if routes[c.position] is pol.Route.WITHHELD]
        if private:
            videos = await self._videos(row, private, dm=True)
            if videos is None:
                return False
            linked, notes = videos
            if linked or notes:
                text, blocks = self._results(row, linked, notes)

                async def send_dm(delivery: Delivery, marker: str) -> str:
                    dm = await open_dm(self.slack, row.requester)
                    ts = await post(self.writes, dm, text, bk.marked(blocks, marker))
                    await self.audit_delivery(
                        row,
                        None,
                        f"links sent privately by DM to {row.requester}",
                        channel=dm,
                        cameras_text=_words(linked),
                    )
                    return ts

                if not await self.deliver_once(row, "links_private", send_dm, dm=True):
                    return False
        videos = await self._videos(row, public, dm=False)
        if videos is None:
            return False
        linked, notes = videos
        if public and not linked and not notes and not private and not withheld:
            return True  # every clip is in the thread itself: no links to post
        text, blocks = self._results(row, linked, notes) if linked or notes else ("", [])
        if private:
            line = f":lock: In-cab footage was sent privately to <@{row.requester}>."
            text, blocks = (text or line), [*blocks, bk.section(line)]
        if not blocks and not withheld:
            text, blocks = bk.recall_results(row.id, [])

        if withheld:
            line = withheld_line(row, withheld)
            text, blocks = (text or line), [*blocks, bk.section(line)]

        async def send(delivery: Delivery, marker: str) -> str:
            if withheld:
                await self.audit_withheld(row, withheld, "video")
            ts = await post(self.writes, row.channel, text, bk.marked(blocks, marker), row.thread)
            if linked:
                await self.audit_delivery(
                    row, None, "links posted in the thread", cameras_text=_words(linked)
                )
            return ts

        return await self.deliver_once(row, "links", send)

    @staticmethod
    def _results(
        row: TrackedRequest, linked: list[RecallCamera], notes: list[str]
    ) -> tuple[str, list[bk.Block]]:
        text, blocks = bk.recall_results(row.id, linked)
        return text, [*blocks, *(bk.context(escape(n)) for n in notes)]

    # --- video clips ----------------------------------------------------------------------

    async def _videos(
        self, row: TrackedRequest, cameras: list[RecallCamera], *, dm: bool
    ) -> tuple[list[RecallCamera], list[str]] | None:
        """Upload the clips of the cameras the policy names. Returns the cameras still to be
        linked and, for clips that were to be uploaded, why a link stands in; None when Slack
        would not take an upload now (the poller tries again)."""
        policy = self.policy
        linked: list[RecallCamera] = []
        notes: list[str] = []
        for cam in cameras:
            found = positions([cam])
            pos = found[0] if found else None
            if pos is None or not cam.download_url or not pol.uploads_video(policy, pos):
                linked.append(cam)
                continue
            done, why = await self._video(row, cam, pos, dm=dm)
            if not done:
                return None
            if why is not None:
                linked.append(cam)
                notes.append(f"{bk.camera_label(pos.value)}: a link, not the clip, because {why}.")
        return linked, notes

    async def _video(
        self, row: TrackedRequest, cam: RecallCamera, pos: CameraPosition, *, dm: bool
    ) -> tuple[bool, str | None]:
        """One clip, exactly once: (in Slack, why a link stands in for it)."""
        why: str | None = None

        async def send(delivery: Delivery, marker: str) -> str:
            nonlocal why
            try:
                return await self._upload_clip(row, cam, pos, delivery, dm=dm)
            except (MotiveError, uploads.UploadFailed, httpx.HTTPError, *SLACK_FAILURES) as e:
                if isinstance(e, MotiveError):
                    why = f"Motive's link did not give the clip ({e.message})"
                elif isinstance(e, httpx.HTTPError):
                    why = type(e).__name__
                else:
                    why = uploads.failure_words(e)
                log.info("clip of request %s linked instead: %s", row.id, why)
                return LINKED

        key = f"video-{pos.value}"
        if not await self.deliver_once(row, key, send, dm=dm):
            return False, None
        if why is None:
            done = await self.store.delivery(row.id, key)
            if done is not None and done.ts == LINKED:
                why = "the clip could not be uploaded"
        return True, why

    async def _upload_clip(
        self,
        row: TrackedRequest,
        cam: RecallCamera,
        pos: CameraPosition,
        delivery: Delivery,
        *,
        dm: bool,
    ) -> str:
        """The clip into the thread (or the requester's DM), streamed by `uploads.stream_clip`.
        Too large (or of unknown size): UploadFailed, and a link."""
        assert cam.download_url is not None
        name = row.request.target.name
        label = bk.camera_label(pos.value)
        channel = await open_dm(self.slack, row.requester) if dm else row.channel

        async def keep(file_id: str) -> None:
            await self.store.note_delivery_file(delivery.id, file_id)

        ref, size = await uploads.stream_clip(
            slack=self.slack,
            motive=self.motive,
            url=cam.download_url,
            filename=f"recall-{name}-{pos.value}.mp4".replace(" ", "_"),
            title=f"{name}, {label}",
            comment=f"{label} from {escape(name)}: the clip itself, kept in Slack.",
            channel=channel,
            thread_ts=None if dm else row.thread,
            ceiling_mb=self.policy.video_upload.max_megabytes,
            keep_file_id=keep,
        )
        where = f"by DM to {row.requester}" if dm else "into the thread"
        await self.audit_delivery(
            row, [pos], f"clip uploaded {where} ({size} bytes)", channel=channel
        )
        return ref

    async def snapshot(self, row: TrackedRequest, url: str, expires: datetime | None) -> bool:
        """The image, uploaded into the thread (or, in-cab under a policy that says so, to the
        requester by DM, with a line in the thread); a link if Slack will not take the file."""
        request = row.request
        assert isinstance(request, SnapshotRequest)
        # Motive's word for the camera when it gave one (it is what the image shows).
        answer = row.answer
        told = answer.position if isinstance(answer, ImageCapture) else None
        word = request.position.value
        # What was asked and what Motive says it took: the stricter route of the two.
        found = await self.routes(row, [word, told] if told else [word], snapshot=True)
        where = strictest(found.values())
        if where is pol.Route.WITHHELD:
            line = withheld_line(row, [word])

            async def refuse(delivery: Delivery, marker: str) -> str:
                await self.audit_withheld(row, [word], "image")
                blocks = bk.marked([bk.section(line)], marker)
                return await post(self.writes, row.channel, line, blocks, row.thread)

            return await self.deliver_once(row, "image", refuse)
        private = where is pol.Route.REQUESTER

        async def send(delivery: Delivery, marker: str) -> str:
            dm = await open_dm(self.slack, row.requester) if private else None
            try:
                data = await self.motive.fetch_media(url)
                ts = await self._upload_image(row, request, data, delivery, dm)
                how = "uploaded by DM to " + row.requester if dm else "uploaded into the thread"
            except (MotiveError, uploads.UploadFailed, *SLACK_FAILURES) as e:
                why = e.message if isinstance(e, MotiveError) else uploads.failure_words(e)
                text, blocks = bk.snapshot_link(url, expires, why)
                blocks = bk.marked(blocks, marker)
                ts = await post(
                    self.writes, dm or row.channel, text, blocks, None if dm else row.thread
                )
                how = f"linked ({why})"
            await self.audit_delivery(row, [request.position], f"image {how}", channel=dm)
            return ts

        if not await self.deliver_once(row, "image", send, dm=private):
            return False
        if not private:
            return True
        line = f":lock: The in-cab image was sent privately to <@{row.requester}>."

        async def notice(delivery: Delivery, marker: str) -> str:
            blocks = bk.marked([bk.section(line)], marker)
            return await post(self.writes, row.channel, line, blocks, row.thread)

        return await self.deliver_once(row, "image_notice", notice)

    async def final_problem(self, row: TrackedRequest, problem: str) -> bool:
        """Why the request ended without media, one thread reply."""
        if not row.anchor_ts:
            return True
        text, blocks = bk.final_problem(problem)

        async def send(delivery: Delivery, marker: str) -> str:
            return await post(self.writes, row.channel, text, bk.marked(blocks, marker), row.thread)

        return await self.deliver_once(row, "final", send)

    # --- refresh --------------------------------------------------------------------------

    async def refresh_links(
        self, request_id: int, presser: str | None = None, where: Place | None = None
    ) -> str | None:
        """Fresh download URLs for a delivered recall, written over the old links message
        (`where`, the message the button is on, when known). The message shows the cameras the
        policy routed to it (the thread's, or the requester's private ones), and only someone
        the policy lets see those may refresh it: the button sits in a shared channel. Nobody
        (`presser` None: a payload without a user) may. Returns a problem, or None."""
        row = await self.store.get(request_id)
        if row is None or row.kind != "recall" or row.motive_id is None:
            return "That request is not one I know."
        private = await self._pressed_private(row, where)
        wanted = pol.Route.REQUESTER if private else pol.Route.THREAD
        refused = await self._refresh_refused(row, presser, where, wanted)
        if refused is not None:
            return refused
        try:
            recall = await self.motive.recalls.retrieve(row.motive_id)
        except MotiveError as e:
            await self._audit_refresh(row, presser, where, f"failed: {e.message}")
            return f"Motive did not give fresh links: {e.message}"
        routes = await self.routes(row, [c.position for c in recall.cameras])
        shown = [c for c in recall.cameras if routes[c.position] is wanted]
        has_private = any(r is pol.Route.REQUESTER for r in routes.values())
        # Clips already in Slack need no links: they do not expire.
        uploaded = {
            d.key.removeprefix("video-")
            for d in await self.store.deliveries(row.id)
            if d.key.startswith("video-") and d.ts and d.ts != LINKED
        }
        shown = [c for c in shown if c.position not in uploaded]
        if not any(c.download_url for c in shown):
            await self._audit_refresh(row, presser, where, "failed: no downloadable video")
            return "Motive has no downloadable video for this request any more."
        text, blocks = bk.recall_results(row.id, shown, refreshed=True)
        if has_private and not private:
            line = f":lock: In-cab footage was sent privately to <@{row.requester}>."
            blocks = [*blocks, bk.section(line)]
        withheld = [p for p, r in routes.items() if r is pol.Route.WITHHELD]
        if withheld and not private:
            blocks = [*blocks, bk.section(withheld_line(row, withheld))]
        delivery = await self.store.delivery(row.id, "links")
        try:
            if where is not None:
                marker = _marker(row, "links_private" if private else "links")
                await self.slack.chat_update(
                    channel=where.channel, ts=where.ts, text=text, blocks=bk.marked(blocks, marker)
                )
            elif delivery is not None and delivery.ts:
                await self.slack.chat_update(
                    channel=row.channel,
                    ts=delivery.ts,
                    text=text,
                    blocks=bk.marked(blocks, _marker(row, "links")),
                )
            else:
                await post(self.slack, row.channel, text, blocks, row.thread)
        except SLACK_FAILURES as e:
            await self._audit_refresh(row, presser, where, f"failed: Slack {slack_error(e)}")
            return f"Slack would not take the fresh links ({slack_error(e)})."
        await self._audit_refresh(
            row, presser, where, "fresh links posted", cameras_text=_words(shown)
        )
        return None

    async def _pressed_private(self, row: TrackedRequest, where: Place | None) -> bool:
        """Whether the pressed message is the requester's private links (their DM), told by the
        store's record of where each delivery went, not by the kind of channel: a request made
        from a DM has its thread there too."""
        if where is None:
            return False
        private = await self.store.delivery(row.id, "links_private")
        return private is not None and private.ts == where.ts

    async def _refresh_refused(
        self, row: TrackedRequest, presser: str | None, where: Place | None, wanted: pol.Route
    ) -> str | None:
        """The policy's refusal of this refresh (audited), or None. Decided on the cameras the
        pressed message shows, before any Motive call."""
        if presser is None:
            message = "I could not tell who pressed the button, so I can't refresh these links."
            refusal = pol.Decision(False, "identity", message)
            await self._audit_refresh(row, None, where, message, refused=refusal)
            return message
        if self.privacy is None:
            return None
        words = self._cameras_of(row)
        routes = await self.routes(row, words)
        shown = [w for w in words if routes[w] is wanted]
        asker = await self.privacy.asker(presser, where.channel if where else row.channel)
        refused = pol.check_refresh(self.policy, asker, shown)
        if refused is None:
            return None
        await self._audit_refresh(
            row, presser, where, refused.message or "refused", refused=refused
        )
        return refused.message

    def _cameras_of(self, row: TrackedRequest) -> list[str | None]:
        """The cameras a recall's links show: Motive's last answer (its words), else what was
        asked."""
        answer = row.answer
        if isinstance(answer, Recall) and answer.cameras:
            return [c.position for c in answer.cameras]
        request = row.request
        assert not isinstance(request, SnapshotRequest)
        if request.camera_positions is not None:
            return [p.value for p in request.camera_positions]
        if self.privacy is None:
            return [p.value for p in CameraPosition]
        return [p.value for p in sorted(self.privacy.unit_cameras(request))]

    async def _audit_refresh(
        self,
        row: TrackedRequest,
        presser: str | None,
        where: Place | None,
        outcome: str,
        *,
        cameras_text: str | None = None,
        refused: pol.Decision | None = None,
    ) -> None:
        if self.privacy is None:
            return
        subject = Subject.of(row.request)
        if cameras_text is not None:
            subject = dataclasses.replace(subject, cameras=cameras_text)
        await self.privacy.audit.record(
            "refresh",
            # Who pressed, as Slack said; never the requester in their place.
            user=presser or UNKNOWN_USER,
            channel=where.channel if where else row.channel,
            subject=subject,
            decision="refused" if refused else "allowed",
            rule=refused.rule if refused else None,
            request_id=row.id,
            motive_id=row.motive_id,
            outcome=outcome,
        )

    # --- exactly once ---------------------------------------------------------------------

    async def deliver_once(
        self, row: TrackedRequest, key: str, send: Send, *, dm: bool = False
    ) -> bool:
        """Put one delivery of `row` in Slack (`key` names it among the request's deliveries)
        unless it is there already: reserved in the store, `send` called with the row and the
        marker its post carries (its first block's id), then recorded as posted. A delivery
        found half-done is looked for where it was going before `send` is called again. True
        when it is (now) in Slack; False when Slack failed for now (the caller tries again
        later); Refused when Slack refused for good. `dm`: it goes to the requester's DM, where
        an earlier attempt is looked for."""
        delivery, fresh = await self.store.begin_delivery(row.id, key, self.clock.now())
        if delivery is None:
            return True
        marker = _marker(row, key)
        for attempt in range(2):
            try:
                # A row left half-done is looked for first; a second try follows only a clean
                # refusal (not_in_channel, then joined), which posted nothing.
                look = not fresh and attempt == 0
                ts = await self._already_sent(row, marker, delivery.file_id, dm) if look else None
                if ts is None:
                    ts = await send(delivery, marker)
                break
            except (uploads.Unsure, *SLACK_FAILURES) as e:
                why = str(e) if isinstance(e, uploads.Unsure) else slack_error(e)
                log.warning("delivery %s of request %s failed: %s", key, row.id, why)
                code = refused_for_good(e)  # None for Unsure: not a refusal
                if code == "not_in_channel" and await self._join(row.channel):
                    continue  # once more, now joined
                if code is not None:
                    raise Refused(code) from e
                return False
        else:
            return False
        await self.store.finish_delivery(delivery.id, ts, self.clock.now())
        return True

    async def _join(self, channel: str) -> bool:
        """Join a public channel the bot was removed from; False if Slack will not let it."""
        try:
            await self.slack.conversations_join(channel=channel)
        except SLACK_FAILURES as e:
            log.info("could not join %s: %s", channel, slack_error(e))
            return False
        return True

    async def refused(self, row: TrackedRequest, code: str) -> None:
        """The request ended because Slack refused its delivery for good: the requester is told
        by DM where Slack lets the bot send one, and the audit trail records both."""
        what = f"{'recall' if row.kind == 'recall' else 'snapshot'} of {row.request.target.label}"
        why = REFUSAL_WORDS.get(code, "Slack will not take it")
        text = (
            f":warning: I could not deliver your {what} in <#{row.channel}>: {why} (`{code}`). "
            "Nothing more will be tried; ask again from a channel I can post in."
        )
        told = "the requester was told by DM"
        try:
            dm = await open_dm(self.slack, row.requester)
            await post(self.writes, dm, text, [bk.section(text)])
        except SLACK_FAILURES as e:
            told = f"the requester could not be told ({slack_error(e)})"
            log.warning("request %s: could not tell %s: %s", row.id, row.requester, told)
        await self.audit_delivery(row, None, f"refused by Slack ({code}): not delivered; {told}")

    async def _already_sent(
        self, row: TrackedRequest, marker: str, file_id: str | None, dm: bool
    ) -> str | None:
        """After a failure mid-delivery: did the post land where it was going?"""
        if not dm:
            return await self._already_in_thread(row, marker, file_id)
        channel = await open_dm(self.slack, row.requester)
        return await find_marked(self.slack, channel, marker, file_id=file_id, pages=THREAD_PAGES)

    async def _already_in_thread(
        self, row: TrackedRequest, marker: str, file_id: str | None
    ) -> str | None:
        """After a crash mid-delivery: did the post land? Look for it in the thread, every page
        of it (a long-discussed incident has more replies than one page holds)."""
        cursor: str | None = None
        for _ in range(THREAD_PAGES):
            try:
                page = await self.slack.conversations_replies(
                    channel=row.channel, ts=row.thread or "", limit=200, cursor=cursor
                )
            except SLACK_FAILURES as e:
                log.warning("could not read thread of request %s: %s", row.id, slack_error(e))
                raise
            for message in page.get("messages") or []:
                if any(b.get("block_id") == marker for b in message.get("blocks") or []):
                    return str(message.get("ts"))
                if file_id and any(f.get("id") == file_id for f in message.get("files") or []):
                    return f"file:{file_id}"
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                return None
        # Slack kept handing out cursors: rather a post seen twice than a thread read forever.
        log.warning(
            "thread of request %s is over %d pages; not read to its end", row.id, THREAD_PAGES
        )
        return None

    async def _upload_image(
        self,
        row: TrackedRequest,
        request: SnapshotRequest,
        data: bytes,
        delivery: Delivery,
        dm: str | None = None,
    ) -> str:
        """The image into the thread (or the requester's DM `dm`), its Slack file id stored
        before it is shared (`uploads.upload_and_share`)."""
        name = request.target.name
        label = bk.camera_label(request.position)
        filename = f"snapshot-{name}-{request.position.value}.jpg".replace(" ", "_")

        async def keep(file_id: str) -> None:
            await self.store.note_delivery_file(delivery.id, file_id)

        return await uploads.upload_and_share(
            self.slack,
            uploads.File(filename, f"Snapshot {name}, {label}", data, len(data)),
            channel=dm or row.channel,
            thread_ts=None if dm else row.thread,
            # Shown as a message: a name holding <!channel> must not become a ping.
            comment=f"Snapshot from {escape(name)}, {label}.",
            keep_file_id=keep,
        )


def positions(cameras: Sequence[RecallCamera]) -> list[CameraPosition]:
    known = {p.value: p for p in CameraPosition}
    return [known[c.position] for c in cameras if c.position in known]


def _words(cameras: Sequence[RecallCamera]) -> str:
    return ",".join(c.position or "unknown" for c in cameras)


def strictest(routes: Iterable[pol.Route]) -> pol.Route:
    order = (pol.Route.WITHHELD, pol.Route.REQUESTER, pol.Route.THREAD)
    return min(routes, key=order.index, default=pol.Route.WITHHELD)


def withheld_line(row: TrackedRequest, positions: Sequence[str | None]) -> str:
    """The thread's word for media the policy kept back (it names no one but the requester)."""
    labels = ", ".join(bk.camera_label(p) for p in positions)
    return f":no_entry: Not shown: {labels}. The policy does not let <@{row.requester}> see it."


def problem_words(outcome: Failed | GaveUp) -> str:
    """Why a request ended without media, in the thread's words: the decision's reason, then
    each camera's own where Motive gave its reasons camera by camera, each camera named here
    (the decision names none)."""
    if isinstance(outcome, GaveUp) or not outcome.cameras:
        return outcome.reason
    cameras = "; ".join(f"{bk.camera_label(c.position)}: {c.message}" for c in outcome.cameras)
    return f"{outcome.reason} {cameras}"


def _marker(row: TrackedRequest, key: str) -> str:
    return f"delivery-{row.id}-{key}"
