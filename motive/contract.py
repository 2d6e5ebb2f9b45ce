"""Every guess the bot makes about Motive's API, in one place.

The two seed pages document the create calls and their rules; most of the rest (the timelines
query, the status words, the per-camera URL field, the error shapes, the webhook action names) is
inferred. Each value below says which: DOCUMENTED (seen in the seeds or on a Motive doc page),
INFERRED (our reading, unconfirmed), THIRD-PARTY (seen only in other people's code).
`docs/motive-assumptions.md` lists what the bot does when each is wrong and how to confirm it;
`motive-bot doctor` checks them against a real account. The client, the models and the simulator
read these names, so a confirmed correction is a one-line change here.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- timing ------------------------------------------------------------------------------------

# How long a recall's upload usually takes once asked for, in minutes (DOCUMENTED: Motive's help
# center, 10-12 minutes with the engine on and in coverage). The schedule's first poll and the
# anchor's "expect it by" both read it.
UPLOAD_MINUTES = (10, 12)

# --- paths ------------------------------------------------------------------------------------

RECALLS_PATH = "/v1/video_recall_requests"  # DOCUMENTED (create; a list call is not documented)
RECALL_PATH = "/v1/video_recall_requests/{id}"  # DOCUMENTED
QUOTA_PATH = "/v1/video_recall_requests/quota"  # DOCUMENTED
ASSET_TIMELINES_PATH = "/v1/video_recall_requests/assets/available_timelines"  # DOCUMENTED
# INFERRED by symmetry with the asset path: the vehicle page's URL was not visible.
VEHICLE_TIMELINES_PATH = "/v1/video_recall_requests/vehicles/available_timelines"
CAPTURES_PATH = "/v1/image_captures"  # DOCUMENTED
CAPTURE_PATH = "/v1/image_captures/{camera_type}/{request_id}"  # DOCUMENTED
VEHICLES_PATH = "/v1/vehicles"  # DOCUMENTED
ASSETS_PATH = "/v1/assets"  # DOCUMENTED
WEBHOOKS_PATH = "/v1/company_webhooks"  # DOCUMENTED (read by `motive-bot doctor` only)
# DOCUMENTED: AI-dashcam safety events (Part A item 9), paged, filtered by dates (YYYY-MM-DD).
EVENTS_PATH = "/v2/driver_performance_events"
# DOCUMENTED path (Part A item 10); its reply's envelope is THIRD-PARTY (breadcrumbs in a list,
# bare or wrapped): optional context on an anchor, left out whenever it does not read.
LOCATIONS_PATH = "/v3/vehicle_locations/{vehicle_id}"

# --- query and body field names ---------------------------------------------------------------

PAGE_SIZE_PARAM, PAGE_PARAM = "per_page", "page_no"  # DOCUMENTED (max 100 per page)
PAGE_SIZE = 100
# INFERRED: the timelines query names were not visible; these mirror the create body.
VEHICLE_TIMELINES_QUERY = "vehicle_number"
ASSET_TIMELINES_QUERY = "asset_name"
# DOCUMENTED: the create body's field names (duration as an integer is INFERRED).
BODY_VEHICLE, BODY_ASSET = "vehicle_number", "asset_name"
BODY_START, BODY_DURATION, BODY_TYPE, BODY_CAMERAS = (
    "start_time",
    "duration",
    "recall_type",
    "camera_positions",
)
BODY_POSITION = "position"  # DOCUMENTED that a position is given; INFERRED that it is this name

EVENTS_START_PARAM, EVENTS_END_PARAM = "start_date", "end_date"  # DOCUMENTED (dates)
EVENTS_TYPES_PARAM, EVENTS_MEDIA_PARAM = "event_types", "media_required"  # DOCUMENTED
EVENTS_VEHICLES_PARAM = "vehicle_ids[]"  # DOCUMENTED (Motive's vehicle ids, repeated)

# --- response shapes --------------------------------------------------------------------------

# INFERRED (Part A allows both): a reply may be the object itself or wrapped under this key.
RECALL_WRAPPER = "video_recall_request"
CAPTURE_WRAPPER = "image_capture"
VEHICLE_WRAPPER, ASSET_WRAPPER = "vehicle", "asset"  # DOCUMENTED (legacy list envelope)
VEHICLES_KEY, ASSETS_KEY, PAGINATION_KEY = "vehicles", "assets", "pagination"  # DOCUMENTED
WEBHOOKS_KEY, WEBHOOK_WRAPPER = "company_webhooks", "company_webhook"  # DOCUMENTED (legacy)
CAMERAS_KEY = "cameras"  # DOCUMENTED (array of camera results); its item fields are INFERRED
# INFERRED / THIRD-PARTY: the per-camera media link. The first is what third-party code reads;
# the others are what image captures use or what we would try next.
CAMERA_URL_FIELDS = ("download_url", "url", "video_url", "media_url")
EXPIRY_FIELDS = ("expires_at", "url_expires_at", "expiry")  # INFERRED (captures use expires_at)
FAILURE_FIELDS = ("failure_reason", "error_message", "reason", "message")  # INFERRED
TIMELINES_KEY = "available_timelines"  # DOCUMENTED, items {start_time, end_time}
QUOTA_KEY = "quota_info"  # DOCUMENTED, {regular|timelapse: {used|remaining|total_minutes}}
# INFERRED: the quota reply carries a rate-limit block whose name and fields were not visible.
RATE_LIMIT_KEY = "rate_limit"
RATE_LIMIT_FIELDS = ("limit", "max_requests", "requests")
RATE_PERIOD_FIELDS = ("period_seconds", "period", "window_seconds", "interval_seconds")
CAPTURE_ID_FIELDS = ("request_id", "id")  # DOCUMENTED request_id; `id` INFERRED
IMAGES_KEY = "images"  # DOCUMENTED: {<position>: {url, expires_at}}
# DOCUMENTED list key and item wrapper of the safety events; the items may also come bare.
EVENTS_KEY, EVENT_WRAPPER = "driver_performance_events", "driver_performance_event"
# THIRD-PARTY (a fleet's own bot reads these from the live API): the clips of an event.
EVENT_MEDIA_KEY, EVENT_VIDEOS_KEY = "camera_media", "downloadable_videos"
EVENT_CLIP_FIELDS = {
    "front_facing": ("front_facing_plain_url", "front_facing_url"),
    "driver_facing": ("driver_facing_plain_url", "driver_facing_url"),
}
# INFERRED: a crash Motive's review has kept (the review's own field is not documented). A crash
# still listed this long after it happened, or still a crash after an update, counts as kept.
CRASH_TYPES = ("crash",)
CRASH_REVIEW_HOURS = 2.0
# DOCUMENTED: times are UTC unless X-Time-Zone is sent, so a timestamp without an offset is UTC.
NAIVE_TIMES_ARE_UTC = True
# INFERRED: recorded segments closer than this are one window (a truck's files are back to back).
SEGMENT_JOIN_SECONDS = 2.0

# --- status words -----------------------------------------------------------------------------

# INFERRED: the recall status enum was not visible. The help center speaks of "pending" and
# "processing"; the rest are our guess. A word outside these is shown as Motive's own word.
RECALL_RUNNING = ("pending", "processing")
RECALL_DONE = ("completed", "partially_completed")  # media for all / some cameras
RECALL_ENDED = ("failed", "cancelled")  # no media will come
RECALL_TERMINAL = RECALL_DONE + RECALL_ENDED
RECALL_KNOWN = RECALL_RUNNING + RECALL_TERMINAL
# What a recall's status reads when Motive sent none (null or absent): not a word Motive uses.
NO_STATUS = "(none)"
CAPTURE_RUNNING = ("pending",)  # DOCUMENTED
CAPTURE_DONE = ("success",)  # DOCUMENTED
CAPTURE_ENDED = ("failed",)  # INFERRED: the failure word was not visible
CAPTURE_TERMINAL = CAPTURE_DONE + CAPTURE_ENDED
# DOCUMENTED camera types (the GET capture path needs one), and which positions each carries.
DASHCAM_POSITIONS = ("front_facing", "driver_facing", "front_narrow_facing")
OMNICAM_POSITIONS = ("side_left", "side_right", "rear")

# --- errors and webhooks ----------------------------------------------------------------------

ERROR_MESSAGE_FIELDS = ("error_message", "message", "error")  # INFERRED (plus `errors`)
ERROR_LIST_FIELD = "errors"  # INFERRED: a list, or an object of lists
SIGNATURE_HEADER = "X-KT-Webhook-Signature"  # DOCUMENTED (HMAC-SHA1 of the raw body)
# THIRD-PARTY: the recall completion action names; `test` on set-up is DOCUMENTED (legacy).
WEBHOOK_RECALL_ACTIONS = ("video_recall_request_completed", "video_recall_request_updated")
WEBHOOK_TEST_ACTION = "test"
# DOCUMENTED (changelog "aggregated-driver-performance-v2-webhook"): a flat body naming an event.
WEBHOOK_EVENT_ACTIONS = ("driver_performance_event_created", "driver_performance_event_updated")
WEBHOOK_ROUTE = "/motive/webhooks"  # ours: where the bot listens


@dataclass(frozen=True)
class Assumption:
    """One guess as `docs/motive-assumptions.md` and `motive-bot doctor` name it."""

    key: str
    what: str
    source: str  # documented | inferred | third-party


ASSUMPTIONS: tuple[Assumption, ...] = (
    Assumption("auth", "X-Api-Key header accepted", "documented"),
    Assumption("vehicles.list", f"GET {VEHICLES_PATH}: {VEHICLES_KEY}[].vehicle", "documented"),
    Assumption("vehicles.number", "each vehicle has a text `number`", "documented"),
    Assumption("assets.list", f"GET {ASSETS_PATH}: {ASSETS_KEY}[].asset with `name`", "documented"),
    Assumption("paging", "per_page/page_no, pagination {per_page, page_no, total}", "documented"),
    Assumption("quota", f"GET {QUOTA_PATH}: quota_info.regular/timelapse minutes", "documented"),
    Assumption("quota.rate_limit", "the quota reply's rate-limit block", "inferred"),
    Assumption("timelines.path", f"GET {VEHICLE_TIMELINES_PATH}", "inferred"),
    Assumption("timelines.query", f"?{VEHICLE_TIMELINES_QUERY}=<vehicle number>", "inferred"),
    Assumption("timelines.shape", "available_timelines[{start_time, end_time}]", "documented"),
    Assumption("timestamps", "ISO 8601 with an offset (no offset means UTC)", "documented"),
    Assumption("recalls.list", f"GET {RECALLS_PATH} lists recent recalls", "inferred"),
    Assumption("recall.wrapper", "a recall comes bare or under video_recall_request", "inferred"),
    Assumption("recall.status", "status words " + "/".join(RECALL_KNOWN), "inferred"),
    Assumption("recall.cameras", f"{CAMERAS_KEY}[] per camera", "documented"),
    Assumption("camera.url", f"per-camera link in {CAMERA_URL_FIELDS[0]}", "third-party"),
    Assumption("camera.expires_at", "per-camera link expiry in expires_at", "inferred"),
    Assumption("capture.create", f"POST {CAPTURES_PATH} with vehicle_number, position", "inferred"),
    Assumption("capture.shape", "request_id, camera_type, status pending/success", "documented"),
    Assumption("webhooks.list", f"GET {WEBHOOKS_PATH}", "documented"),
    Assumption("webhooks.actions", " / ".join(WEBHOOK_RECALL_ACTIONS), "third-party"),
    Assumption("events.list", f"GET {EVENTS_PATH}: {EVENTS_KEY}[].{EVENT_WRAPPER}", "documented"),
    Assumption("events.media", "camera_media.downloadable_videos.*_plain_url", "third-party"),
    Assumption("webhooks.event_actions", " / ".join(WEBHOOK_EVENT_ACTIONS), "documented"),
    Assumption("locations", f"GET {LOCATIONS_PATH}: breadcrumbs in a list", "third-party"),
    Assumption("errors", "reason in error_message, message or errors", "inferred"),
)


def camera_type_of(position: str | None) -> str | None:
    """The camera type a position belongs to (the GET capture path needs it)."""
    if position in DASHCAM_POSITIONS:
        return "dashcam"
    if position in OMNICAM_POSITIONS:
        return "omnicam"
    return None
