"""A dispatcher's request from the moment it is read until it is handed to the tracker:
submit (policy, duplicate claim, anchor, Motive create), /snapshot all, "my requests", and
following a thread."""
