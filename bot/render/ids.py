"""Every action id, callback id and block id that a builder writes and a listener (or the code
reading a submitted view) looks for: written once here, so the two cannot drift apart."""

from __future__ import annotations

# --- modal callback ids (app.view) --------------------------------------------------------------
RECALL_CALLBACK = "recall_modal"
SNAPSHOT_CALLBACK = "snapshot_modal"

# --- action ids (app.action, app.options) -------------------------------------------------------
TARGET_KIND_PICK = "target_kind_pick"  # vehicle or asset, in both modals
RECALL_TYPE_PICK = "recall_type_pick"
TARGET_SELECT = "target_select"  # the typeahead (external_select)
START_PICK = "start_pick"
DURATION_PICK = "duration_pick"
CAMERAS_PICK = "cameras_pick"
NOTE_TEXT = "note_text"
POSITION_PICK = "position_pick"
REFRESH_LINKS = "refresh_links"
# Link buttons open in the browser; Slack still sends an action, one id per camera.
OPEN_VIDEO_PREFIX = "open_video_"

# --- block ids of the modals' input blocks (read back from view.state) --------------------------
TARGET_KIND_BLOCK = "target_kind"
START_BLOCK = "start"
RECALL_TYPE_BLOCK = "recall_type"
CAMERAS_BLOCK = "cameras"
NOTE_BLOCK = "note"
QUOTA_BLOCK = "quota"
REFRESH_BLOCK_PREFIX = "refresh:"


def target_block(kind: str) -> str:
    # A new block id per kind clears a vehicle picked before switching to assets.
    return "target" if kind == "vehicle" else "target_asset"


def duration_block(recall_type: str) -> str:
    # Keyed by type, so the choice resets when the allowed durations change.
    return f"duration_{recall_type}"


DURATION_BLOCK_PREFIX = "duration_"


def position_block(kind: str) -> str:
    return f"position_{kind}"
